import {
  applyPatch,
  type CompiledSnapshot,
  type CompileOptions,
  changedFlagKeys,
  compileSnapshot,
  type FlagConfig,
  type PatchPayload,
  type SnapshotPayload,
} from '@switchboard/core';

/** Where the data the client evaluates came from; later sources take precedence over earlier ones. */
export const DataSource = {
  Bootstrap: 'bootstrap',
  Cache: 'cache',
  Server: 'server',
} as const;
export type DataSource = (typeof DataSource)[keyof typeof DataSource];

/**
 * The one environment the client evaluates: the snapshot as received and its compiled form. Every
 * snapshot or patch is compiled once here, never per evaluation; readers get the compiled form of
 * one revision, replaced whole, so an evaluation never sees half an update.
 */
export class FlagStore {
  private current: SnapshotPayload | null = null;
  private compiledForm: CompiledSnapshot | null = null;
  private from: DataSource | null = null;
  private configs: ReadonlyMap<string, FlagConfig> = new Map();

  constructor(private readonly compileOptions: CompileOptions) {}

  get snapshot(): SnapshotPayload | null {
    return this.current;
  }

  get compiled(): CompiledSnapshot | null {
    return this.compiledForm;
  }

  get source(): DataSource | null {
    return this.from;
  }

  /** One flag's configuration as received. */
  flag(key: string): FlagConfig | undefined {
    return this.configs.get(key);
  }

  /** Replaces everything; returns the keys of the flags that changed. */
  replace(snapshot: SnapshotPayload, source: DataSource): string[] {
    const compiled = compileSnapshot(snapshot, this.compileOptions);
    const changed = changedFlagKeys(this.current, snapshot);
    this.current = snapshot;
    this.compiledForm = compiled;
    this.configs = new Map(snapshot.flags.map((f) => [f.key, f]));
    this.from = source;
    return changed;
  }

  /** Applies a patch when it is newer than what is held; the changed keys, or null when it was not newer. */
  patch(patch: PatchPayload): string[] | null {
    if (this.current === null) return null;
    const next = applyPatch(this.current, patch);
    if (next === null) return null;
    return this.replace(next, DataSource.Server);
  }
}
