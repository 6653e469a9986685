import type { FlagConfig, Segment, SnapshotPayload } from '@switchboard/core';
import type { ClientOptions, Logger } from '../../src/index.ts';
import { createClient } from '../../src/index.ts';
import type { SwitchboardClient } from '../../src/switchboard-client.ts';
import type { Timers } from '../../src/timers.ts';

export function snapshot(revision: number, flags: FlagConfig[], segments: Segment[] = []): SnapshotPayload {
  return { environment: 'production', revision, flags, segments };
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** A logger that keeps what it is told, for tests to read. */
export function memoryLogger(): Logger & { entries: LogEntry[]; at(level: LogEntry['level']): string[] } {
  const entries: LogEntry[] = [];
  const add = (level: LogEntry['level']) => (message: string) => {
    entries.push({ level, message });
  };
  return {
    entries,
    debug: add('debug'),
    info: add('info'),
    warn: add('warn'),
    error: add('error'),
    at: (level) => entries.filter((e) => e.level === level).map((e) => e.message),
  };
}

/** The system's timers, counting the ones still pending, so a test can see that none outlive close(). */
export function trackingTimers(): Timers & { pending(): number } {
  const live = new Set<ReturnType<typeof setTimeout>>();
  return {
    now: () => Date.now(),
    setTimeout(callback, ms) {
      const handle = setTimeout(() => {
        live.delete(handle);
        callback();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle as ReturnType<typeof setTimeout>);
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
    pending: () => live.size,
  };
}

/** Fast retries and a quiet logger: what most delivery tests want. */
export function testClient(options: Partial<ClientOptions>, clients?: SwitchboardClient[]): SwitchboardClient {
  // Tests pass any mix, online or not, valid or not: the client is built as an untyped caller would.
  const client = createClient({
    sdkKey: 'sbs_test',
    backoff: { initialMs: 20, maxMs: 100 },
    metrics: false,
    logger: memoryLogger(),
    ...options,
  } as ClientOptions);
  clients?.push(client);
  return client;
}

export const FLAG_ON: FlagConfig = { key: 'on', enabled: true };
export const FLAG_OFF: FlagConfig = { key: 'off', enabled: false };
