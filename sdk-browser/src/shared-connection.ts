import {
  applyPatch,
  type CompileOptions,
  type Condition,
  type EvaluationResult,
  PLUGINS,
  parsePatch,
  parseSnapshot,
  type SnapshotPayload,
  type WireView,
  wireView,
} from '@switchboard/core';
import { startDelivery } from './delivery.ts';
import type { Resolved } from './options.ts';
import { usageMetrics } from './usage-metrics.ts';

/** A client view ready for evaluation, and the payload it was made from. */
export interface View {
  payload: SnapshotPayload;
  wire: WireView;
}

/** What a connection tells its clients: `update` (a new view), `fresh`, `stale` and `error` (with the error). */
export type ConnectionListener = (type: 'update' | 'fresh' | 'stale' | 'error', error?: Error) => void;

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

type Plugin = keyof CompileOptions;

/**
 * Operators with parsers of their own (REGEX, SEMVER_*, IN_CIDR) are loaded once per page, the
 * first time a view uses them: most pages never do, and REGEX alone is 45 KB.
 */
const loaded: CompileOptions = {};
const loading: Partial<Record<Plugin, Promise<unknown>>> = {};
const LOADERS: Record<Plugin, () => Promise<unknown>> = {
  regex: () => import('@switchboard/core/regex').then((m) => (loaded.regex = m.re2Engine)),
  semver: () => import('@switchboard/core/semver').then((m) => (loaded.semver = m.semverMatcher)),
  cidr: () => import('@switchboard/core/cidr').then((m) => (loaded.cidr = m.cidrMatcher)),
};

function pluginsUsed(p: SnapshotPayload): Set<Plugin> {
  const used = new Set<Plugin>();
  const scan = (conditions: Condition[] | undefined) => {
    for (const c of conditions ?? []) {
      const plugin = PLUGINS[c.operator];
      if (typeof plugin === 'string') used.add(plugin);
    }
  };
  for (const f of p.flags) for (const r of f.rules ?? []) scan(r.conditions);
  for (const s of p.segments ?? []) scan(s.conditions);
  return used;
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

  const notify: ConnectionListener = (type, error) => {
    for (const l of [...listeners]) l(type, error);
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

  /** Compiles the latest payload, first loading the operator plug-ins it needs. */
  function publish(): void {
    const p = payload;
    if (!p) return;
    const plugins = () => ({ ...loaded, ...o.operators });
    const missing = [...pluginsUsed(p)].filter((k) => !plugins()[k]);
    if (missing.length === 0) {
      compile(p, plugins());
      return;
    }
    const loads = missing.map((k) => {
      loading[k] ??= LOADERS[k]().catch((error) => {
        loading[k] = undefined;
        fail(`${k} operators not loaded: ${error}`);
      });
      return loading[k];
    });
    // When loading failed there is still no plug-in: the view is used anyway, those conditions never match.
    void Promise.all(loads).then(() => payload === p && compile(p, plugins()));
  }

  function compile(p: SnapshotPayload, plugins: CompileOptions): void {
    self.view = { payload: p, wire: wireView(p, plugins) };
    notify('update');
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
