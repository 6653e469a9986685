import {
  applyPatch,
  type CompiledSnapshot,
  type Condition,
  changedFlagKeys,
  compileSnapshot,
  type EvaluationResult,
  parsePatch,
  parseSnapshot,
  type RegexEngine,
  type SnapshotPayload,
} from '@switchboard/core';
import { startDelivery } from './delivery.ts';
import type { Resolved } from './options.ts';
import { usageMetrics } from './usage-metrics.ts';

/** A client view ready for evaluation, and what it was compiled from. */
export interface View {
  payload: SnapshotPayload;
  compiled: CompiledSnapshot;
}

/**
 * What a connection tells its clients: `update` (a new view; the keys of flags whose configuration
 * changed, or undefined for "any"), `fresh`, `stale` and `error` (with the error).
 */
export type ConnectionListener = (type: 'update' | 'fresh' | 'stale' | 'error', detail?: string[] | Error) => void;

interface OwnedConnection {
  view: View | null;
  stale: boolean;
  /** Set when delivery stopped for good (a refused key). */
  fatal: Error | null;
  /** Takes a view the page carries when it is newer than the one held. */
  offer(bootstrap: SnapshotPayload | null | undefined): void;
  count(flag: string, result: EvaluationResult): void;
  close(): void;
}

/** What a client sees of its connection. */
export type SharedConnection = Readonly<Omit<OwnedConnection, 'close'>>;

/**
 * One stream per url + client key per page, however many clients use it: browsers allow about six
 * connections per host over HTTP/1.1, and each EventSource holds one for good. Clients come and go;
 * the last one to leave closes the stream.
 */
const connections = new Map<string, { connection: OwnedConnection; listeners: Set<ConnectionListener> }>();

/** REGEX support is loaded once per page, the first time a view needs it. */
let regexEngine: RegexEngine | undefined;
let regexLoading: Promise<unknown> | undefined;

const usesRegex = (conditions: Condition[] | undefined) => !!conditions?.some((c) => c.operator === 'REGEX');

function needsRegex(p: SnapshotPayload): boolean {
  return p.flags.some((f) => f.rules?.some((r) => usesRegex(r.conditions))) || !!p.segments?.some((s) => usesRegex(s.conditions));
}

/** The page's connection for `o.url` + `o.clientKey`, created on first use; `release` when done with it. */
export function acquireConnection(o: Resolved, listener: ConnectionListener): { connection: SharedConnection; release: () => void } {
  const id = `${o.url} ${o.clientKey}`;
  let entry = connections.get(id);
  if (!entry) {
    const listeners = new Set<ConnectionListener>();
    const connection = openConnection(o, listeners, () => connections.delete(id));
    entry = { connection, listeners };
    connections.set(id, entry);
  }
  const { connection, listeners } = entry;
  listeners.add(listener);
  return {
    connection,
    release() {
      if (listeners.delete(listener) && listeners.size === 0) {
        connections.delete(id);
        connection.close();
      }
    },
  };
}

function openConnection(o: Resolved, listeners: Set<ConnectionListener>, forget: () => void): OwnedConnection {
  const cacheKey = `switchboard:${o.url}:${o.clientKey}`;
  const metrics = usageMetrics(o);
  let payload: SnapshotPayload | null = null;
  /** The highest revision the network sent this session: a lagging replica must not take us back. */
  let networkRevision = -1;

  const notify: ConnectionListener = (type, detail) => {
    for (const l of [...listeners]) l(type, detail);
  };
  const fail = (message: string) => notify('error', new Error(message));

  const self: OwnedConnection = {
    view: null,
    stale: false,
    fatal: null,
    offer(bootstrap) {
      if (bootstrap == null) return;
      const p = parseSnapshot(bootstrap);
      if (!p) fail('Invalid bootstrap snapshot');
      else if (!payload || p.revision > payload.revision) use(p);
    },
    count: metrics.count,
    close() {
      stop();
      metrics.flush(true);
      forget();
    },
  };

  function use(next: SnapshotPayload): void {
    payload = next;
    publish();
  }

  /** Compiles the latest payload, first loading the REGEX engine when it needs one. */
  function publish(): void {
    const p = payload;
    if (!p) return;
    const regex = o.regex ?? regexEngine;
    if (regex || !needsRegex(p)) {
      compile(p, regex);
      return;
    }
    regexLoading ??= import('@switchboard/core/regex').then(
      (m) => {
        regexEngine = m.re2Engine;
      },
      (error) => fail(`REGEX engine not loaded: ${error}`),
    );
    // When loading failed there is still no engine: the view is used anyway, its REGEX conditions never match.
    void regexLoading.then(() => payload === p && compile(p, regexEngine));
  }

  function compile(p: SnapshotPayload, regex: RegexEngine | undefined): void {
    const before = self.view?.payload;
    self.view = { payload: p, compiled: compileSnapshot(p, { regex }) };
    notify('update', before ? changedFlagKeys(before, p) : undefined);
  }

  function receive(next: SnapshotPayload): void {
    networkRevision = next.revision;
    try {
      o.storage?.setItem(cacheKey, JSON.stringify(next));
    } catch {
      // Full or blocked storage costs the next page load its head start, nothing more.
    }
    use(next);
  }

  function setStale(stale: boolean, error?: Error): void {
    if (self.stale === stale) return;
    self.stale = stale;
    if (error) notify('stale', error);
    else notify('fresh');
  }

  try {
    const cached = parseSnapshot(JSON.parse(o.storage?.getItem(cacheKey) ?? 'null'));
    if (cached) payload = cached;
  } catch {}
  publish();
  const stop = startDelivery(o, {
    revision: () => payload?.revision ?? null,
    data(kind, value) {
      if (kind === 'snapshot') {
        const p = parseSnapshot(value);
        if (!p) return fail('Malformed snapshot ignored');
        // Equal revisions carry equal content; an older one comes from a replica that has not caught up.
        if (p.revision >= networkRevision) receive(p);
        return;
      }
      const patch = parsePatch(value);
      if (!patch) return fail('Malformed patch ignored');
      const next = payload && applyPatch(payload, patch);
      if (next) receive(next);
    },
    fresh: () => setStale(false),
    stale: (error) => setStale(true, error),
    fatal(error) {
      self.fatal = error;
      notify('error', error);
    },
  });

  return self;
}
