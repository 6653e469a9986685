import { createHash } from 'node:crypto';
import type { SnapshotPayload } from '@switchboard/core';
import type { FileSystem } from './file-system.ts';
import type { SafeLogger } from './logger.ts';
import { removeStaleTempFiles, tempFileName } from './stale-temp-files.ts';
import { checkSnapshot } from './wire-data.ts';

const FORMAT = 'switchboard-sdk-cache';
const VERSION = 1;

interface CacheFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  savedAt: string;
  /** Which server and key wrote it, so a key for another environment never reads it back. */
  source: string;
  snapshot: SnapshotPayload;
}

/** A short digest of the server URL and SDK key: identifies the environment without storing the key. */
export function cacheSource(url: string, sdkKey: string): string {
  return createHash('sha256').update(`${url}\n${sdkKey}`).digest('hex').slice(0, 24);
}

let tempCounter = 0;

/**
 * The last good snapshot on disk, for starting while the server is unreachable. Written whole to a
 * temporary file and renamed over the old one, so a crash mid-write leaves the previous cache, never
 * half a file. Writes are coalesced: at most one runs, and only the newest waiting snapshot follows it.
 */
export class FileCache {
  private writing: Promise<void> | null = null;
  private next: SnapshotPayload | null = null;
  private failing = false;

  constructor(
    private readonly path: string,
    /** Null when nothing identifies the environment (offline): any cache file is then accepted. */
    private readonly source: string | null,
    private readonly fs: FileSystem,
    private readonly log: SafeLogger,
  ) {}

  /**
   * The cached snapshot; null when there is none or it cannot be used (with a warning). Never
   * rejects. Runs once, at start, and first removes what killed writers left behind.
   */
  async read(): Promise<SnapshotPayload | null> {
    // Wall-clock time, not the injected clock: it is compared with file modification times.
    await removeStaleTempFiles(this.path, this.fs, this.log, { now: Date.now() });
    let text: string;
    try {
      text = await this.fs.readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') this.log.debug(`no cache file at ${this.path} yet`);
      else this.log.warn(`cache file ${this.path} cannot be read; ignoring it`, error);
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.log.warn(`cache file ${this.path} is corrupt (not JSON); ignoring it`);
      return null;
    }
    const file = parsed as Partial<CacheFile> | null;
    if (file === null || typeof file !== 'object' || file.format !== FORMAT || file.version !== VERSION) {
      this.log.warn(`cache file ${this.path} is not a Switchboard cache of a known version; ignoring it`);
      return null;
    }
    if (this.source !== null && file.source !== this.source) {
      this.log.warn(`cache file ${this.path} was written for another server URL or SDK key; ignoring it`);
      return null;
    }
    const snapshot = checkSnapshot(file.snapshot);
    if (typeof snapshot === 'string') {
      this.log.warn(`cache file ${this.path} holds an invalid snapshot (${snapshot}); ignoring it`);
      return null;
    }
    return snapshot;
  }

  /** Saves a snapshot in the background. Never throws. */
  save(snapshot: SnapshotPayload): void {
    this.next = snapshot;
    if (this.writing === null) this.writing = this.drain();
  }

  /** Waits for the writes under way. Never rejects. */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      for (let snapshot = this.next; snapshot !== null; snapshot = this.next) {
        this.next = null;
        await this.write(snapshot);
      }
    } finally {
      this.writing = null;
    }
  }

  private async write(snapshot: SnapshotPayload): Promise<void> {
    // The pid in the name tells the next start whether its writer is gone (see removeStaleTempFiles).
    const temp = tempFileName(this.path, process.pid, ++tempCounter);
    try {
      const file: CacheFile = { format: FORMAT, version: VERSION, savedAt: new Date().toISOString(), source: this.source ?? '', snapshot };
      // Rules may name users (emails, account ids): readable by the owner only.
      await this.fs.writeFile(temp, JSON.stringify(file), 0o600);
      await this.fs.rename(temp, this.path);
      if (this.failing) this.log.info(`cache file ${this.path} written again`);
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.log.warn(`cache file ${this.path} cannot be written; serving from memory only`, error);
      this.failing = true;
      await this.fs.unlink(temp).catch(() => {});
    }
  }
}
