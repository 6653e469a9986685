import type { FlagConfig, Segment } from '@switchboard/core';
import type { ChangeOp } from '../../db/schema/index.ts';
import type { SnapshotFlag } from '../../domain/snapshot-flag.ts';
import { clientFlag, type SensitivePolicy, serverFlag, usesSegment } from './client-view.ts';

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
  policy: SensitivePolicy;
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
  private readonly policy: SensitivePolicy;
  /** What browsers currently hold of each flag (its JSON), so only real differences are sent. */
  private readonly clientForms = new Map<string, string>();
  private serverJson: { revision: number; json: string } | null = null;
  private clientJson: { revision: number; json: string } | null = null;

  constructor(loaded: LoadedEnvironment) {
    this.environment = loaded.environment;
    this.revision = loaded.revision;
    this.policy = loaded.policy;
    for (const s of loaded.segments) this.segments.set(s.key, s);
    for (const f of loaded.flags) this.flags.set(f.key, f);
    for (const f of loaded.flags) {
      const form = this.clientForm(f.key);
      if (form !== null) this.clientForms.set(f.key, JSON.stringify(form));
    }
  }

  private isVisible = (key: string): boolean => this.flags.get(key)?.clientVisible === true;

  private clientForm(key: string): FlagConfig | null {
    const flag = this.flags.get(key);
    return flag?.clientVisible ? clientFlag(flag, this.segments, this.policy, this.isVisible) : null;
  }

  private childrenOf(key: string): string[] {
    const out: string[] = [];
    for (const f of this.flags.values()) if (f.dependencies?.some((d) => d.flag === key)) out.push(f.key);
    return out;
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
      if (json !== before) {
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
        affected = [change.key, ...this.childrenOf(change.key)];
        break;
      }
      case 'flag-removed':
        this.flags.delete(change.key);
        server = [{ op: 'flag-removed', key: change.key }];
        affected = [change.key, ...this.childrenOf(change.key)];
        break;
      case 'segment': {
        const segment = change.segment as Segment;
        this.segments.set(change.key, segment);
        server = [{ op: 'segment', segment }];
        affected = [...this.flags.values()].filter((f) => usesSegment(f, change.key)).map((f) => f.key);
        break;
      }
      case 'segment-removed':
        this.segments.delete(change.key);
        server = [{ op: 'segment-removed', key: change.key }];
        affected = [...this.flags.values()].filter((f) => usesSegment(f, change.key)).map((f) => f.key);
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
      const sensitive = JSON.stringify({ salt: this.policy.salt, attributes: [...this.policy.attributes].sort() });
      this.clientJson = {
        revision: this.revision,
        json: `{"environment":${JSON.stringify(this.environment)},"revision":${this.revision},"flags":[${flags}],"sensitive":${sensitive}}`,
      };
    }
    return this.clientJson.json;
  }
}
