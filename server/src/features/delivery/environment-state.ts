import { type CompiledSnapshot, compileSnapshot, type FlagConfig, type Segment } from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import type { ChangeOp } from '../../db/schema/index.ts';
import type { SnapshotFlag } from '../../domain/snapshot-flag.ts';
import { type BrowserEvaluation, browserEvaluation, clientFlag, serverFlag, usesSegment } from './client-view.ts';

/** One item of a `patch` event. */
export type PatchChange =
  | { op: 'flag'; flag: FlagConfig }
  | { op: 'flag-removed'; key: string }
  | { op: 'segment'; segment: Segment }
  | { op: 'segment-removed'; key: string };

export interface LoadedEnvironment {
  environment: string;
  revision: number;
  flags: SnapshotFlag[];
  segments: Segment[];
  /** Attributes whose values must not reach browsers (see `effectiveSensitive`). */
  sensitive: ReadonlySet<string>;
}

/** The changes one revision makes, for each audience; null when it changes nothing they see. */
export interface RevisionPatch {
  revision: number;
  server: PatchChange[];
  client: PatchChange[];
}

/**
 * One environment as this replica holds it in memory: the state both views are served from, kept
 * current by applying change-log rows. Snapshots are serialized once per revision and shared by
 * every request and stream.
 */
export class EnvironmentState {
  readonly environment: string;
  revision: number;
  private readonly flags = new Map<string, SnapshotFlag>();
  private readonly segments = new Map<string, Segment>();
  private readonly sensitive: ReadonlySet<string>;
  /** What browsers currently hold of each flag (its JSON), so only real differences are sent. */
  private readonly clientForms = new Map<string, string>();
  private serverJson: { revision: number; json: string } | null = null;
  private clientJson: { revision: number; json: string } | null = null;
  /** For server-side evaluation (OFREP): compiled on first use after each revision. */
  private compiledState: { revision: number; snapshot: CompiledSnapshot; clientKeys: string[] } | null = null;

  constructor(loaded: LoadedEnvironment) {
    this.environment = loaded.environment;
    this.revision = loaded.revision;
    this.sensitive = loaded.sensitive;
    for (const s of loaded.segments) this.segments.set(s.key, s);
    for (const f of loaded.flags) this.flags.set(f.key, f);
    for (const f of loaded.flags) {
      const form = this.clientForm(f.key);
      if (form !== null) this.clientForms.set(f.key, JSON.stringify(form));
    }
  }

  private readonly flagOf = (key: string): SnapshotFlag | undefined => this.flags.get(key);

  /** Where browsers evaluate a flag and why; undefined for a flag this environment does not have. */
  browserEvaluation(key: string): BrowserEvaluation | undefined {
    const flag = this.flags.get(key);
    return flag && browserEvaluation(flag, this.segments, this.sensitive, this.flagOf);
  }

  private clientForm(key: string): FlagConfig | null {
    const flag = this.flags.get(key);
    if (!flag?.clientVisible) return null;
    return clientFlag(flag, this.segments, browserEvaluation(flag, this.segments, this.sensitive, this.flagOf));
  }

  /** `keys` and every flag depending on them, however deep (a parent's form decides its children's). */
  private withDependents(keys: string[]): string[] {
    const out = new Set(keys);
    for (let grew = true; grew; ) {
      grew = false;
      for (const f of this.flags.values()) {
        if (!out.has(f.key) && f.dependencies?.some((d) => out.has(d.flag))) {
          out.add(f.key);
          grew = true;
        }
      }
    }
    return [...out];
  }

  /** Recomputes the client form of `keys` and returns what changed for browsers. */
  private clientChanges(keys: Iterable<string>): PatchChange[] {
    const changes: PatchChange[] = [];
    for (const key of new Set(keys)) {
      const form = this.clientForm(key);
      const before = this.clientForms.get(key);
      if (form === null) {
        if (before !== undefined) {
          this.clientForms.delete(key);
          changes.push({ op: 'flag-removed', key });
        }
        continue;
      }
      const json = JSON.stringify(form);
      // A remote flag looks the same whatever changed behind it; browsers still need the patch to
      // know that their server-side answer for it may have changed.
      if (json !== before || form.remote === true) {
        this.clientForms.set(key, json);
        changes.push({ op: 'flag', flag: form });
      }
    }
    return changes;
  }

  /**
   * Applies one change-log row. Returns null when the row asks for a full reload (an environment
   * change such as a new sensitive attribute), which the caller does from the database.
   */
  apply(revision: number, change: ChangeOp): RevisionPatch | null {
    let server: PatchChange[];
    let affected: string[];
    switch (change.op) {
      case 'flag': {
        const flag = change.flag as SnapshotFlag;
        this.flags.set(change.key, flag);
        server = [{ op: 'flag', flag: serverFlag(flag) }];
        affected = this.withDependents([change.key]);
        break;
      }
      case 'flag-removed':
        this.flags.delete(change.key);
        server = [{ op: 'flag-removed', key: change.key }];
        affected = this.withDependents([change.key]);
        break;
      case 'segment': {
        const segment = change.segment as Segment;
        this.segments.set(change.key, segment);
        server = [{ op: 'segment', segment }];
        affected = this.withDependents([...this.flags.values()].filter((f) => usesSegment(f, change.key)).map((f) => f.key));
        break;
      }
      case 'segment-removed':
        this.segments.delete(change.key);
        server = [{ op: 'segment-removed', key: change.key }];
        affected = this.withDependents([...this.flags.values()].filter((f) => usesSegment(f, change.key)).map((f) => f.key));
        break;
      default:
        return null;
    }
    this.revision = revision;
    return { revision, server, client: this.clientChanges(affected) };
  }

  serverSnapshot(): string {
    if (this.serverJson?.revision !== this.revision) {
      const body = {
        environment: this.environment,
        revision: this.revision,
        flags: [...this.flags.values()].map(serverFlag),
        segments: [...this.segments.values()],
      };
      this.serverJson = { revision: this.revision, json: JSON.stringify(body) };
    }
    return this.serverJson.json;
  }

  clientSnapshot(): string {
    if (this.clientJson?.revision !== this.revision) {
      const flags = [...this.clientForms.values()].join(',');
      this.clientJson = {
        revision: this.revision,
        json: `{"environment":${JSON.stringify(this.environment)},"revision":${this.revision},"flags":[${flags}]}`,
      };
    }
    return this.clientJson.json;
  }

  private compiledNow(): { snapshot: CompiledSnapshot; clientKeys: string[] } {
    if (this.compiledState?.revision !== this.revision) {
      const snapshot = compileSnapshot(
        { environment: this.environment, revision: this.revision, flags: [...this.flags.values()], segments: [...this.segments.values()] },
        allOperators,
      );
      const clientKeys = [...this.flags.values()].filter((f) => f.clientVisible).map((f) => f.key);
      this.compiledState = { revision: this.revision, snapshot, clientKeys };
    }
    return this.compiledState;
  }

  /** The environment compiled for evaluation on the server (every flag, client-visible or not). */
  compiled(): CompiledSnapshot {
    return this.compiledNow().snapshot;
  }

  /** Keys of the client-visible flags, in the snapshot's order. */
  clientVisibleKeys(): readonly string[] {
    return this.compiledNow().clientKeys;
  }

  isClientVisible(key: string): boolean {
    return this.flags.get(key)?.clientVisible === true;
  }
}
