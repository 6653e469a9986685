import { type FlagConfig, loadWireChecks, type SnapshotPayload } from '@switchboard/core';
import type { ClientOptions, EventSourceLike, StorageLike, Timers } from '../../src/index.ts';
import { loadDelivery } from '../../src/on-demand.ts';

// Core's wire checks, polling, server evaluation and tracking are imported on demand; loaded here
// once, a client's import of them settles at once.
await Promise.all([
  loadWireChecks(),
  loadDelivery(),
  import('../../src/polling.ts'),
  import('../../src/remote.ts'),
  import('../../src/usage-report.ts'),
]);

/** An EventSource whose server is the test: it opens, sends events and fails on command. */
export class FakeStream implements EventSourceLike {
  readyState = 0;
  private readonly listeners = new Map<string, Array<(e: MessageEvent) => void>>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: (e: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = 2;
    this.closedByClient = true;
  }

  /** As in browsers, a stream the page closed fires nothing more. */
  private closedByClient = false;

  private fire(type: string, data?: unknown): void {
    if (this.closedByClient) return;
    const event = { data: data === undefined ? undefined : typeof data === 'string' ? data : JSON.stringify(data) } as MessageEvent;
    for (const l of this.listeners.get(type) ?? []) l(event);
  }

  open(): void {
    this.readyState = 1;
    this.fire('open');
  }

  /** Resolves once the client has taken it (or rejected it): core's wire checks run first. */
  async snapshot(payload: unknown): Promise<void> {
    this.fire('snapshot', payload);
    await settle();
  }

  async patch(payload: unknown): Promise<void> {
    this.fire('patch', payload);
    await settle();
  }

  reconnect(): void {
    this.fire('reconnect', '{"retryMs":1000}');
  }

  /** A dropped connection the browser retries (`closed` false) or an HTTP error it gives up on. */
  fail(closed = false): void {
    if (this.closedByClient) return;
    this.readyState = closed ? 2 : 0;
    this.fire('error');
  }
}

export function fakeEventSource() {
  const streams: FakeStream[] = [];
  class EventSource extends FakeStream {
    constructor(url: string) {
      super(url);
      streams.push(this);
    }
  }
  return { EventSource, streams, latest: () => streams.at(-1) as FakeStream };
}

/** Timers that run only when the test advances the clock. */
export function manualTimers() {
  let now = 0;
  let id = 0;
  const pending = new Map<number, { at: number; run: () => void }>();
  const timers: Timers = {
    set(run, ms) {
      pending.set(++id, { at: now + ms, run });
      return id;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    now: () => now,
    /** Delays of the timers now pending, soonest first. */
    delays: () => [...pending.values()].map((t) => t.at - now).sort((a, b) => a - b),
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > until) break;
        pending.delete(next[0]);
        now = next[1].at;
        next[1].run();
        await settle();
      }
      now = until;
      await settle();
    },
  };
}

export function memoryStorage(initial: Record<string, string> = {}): StorageLike & { items: Map<string, string> } {
  const items = new Map(Object.entries(initial));
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

export interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A fetch answering from a handler, recording every call. */
export function fakeFetch(handler: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return handler(String(input), init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

export const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

/** Lets promise chains (digests, dynamic imports) finish. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

export function snapshot(revision: number, flags: FlagConfig[]): SnapshotPayload {
  return { environment: 'production', revision, flags };
}

let n = 0;
/** Options with every platform part faked and a url no other test shares (connections are shared per url + key). */
export function testOptions(overrides: Partial<ClientOptions> = {}) {
  const es = fakeEventSource();
  const t = manualTimers();
  const storage = memoryStorage();
  const http = fakeFetch(() => new Response(null, { status: 503 }));
  const options: ClientOptions = {
    url: `https://flags${++n}.test`,
    clientKey: 'sbc_test',
    EventSource: es.EventSource,
    timers: t.timers,
    storage,
    fetch: http.fetch,
    now: t.now,
    random: () => 0.5,
    metricsInterval: 0,
    ...overrides,
  };
  return { options, es, timers: t, storage, http };
}
