import type { CompileOptions, EvaluationResult, SnapshotPayload } from '@switchboard/core';
import { PLUGINS, parseSnapshot, SwitchboardError, type WireView, wireView } from '@switchboard/core/browser';
import { KIT } from './kit.ts';
import { delivery, LOADERS, loadDelivery } from './on-demand.ts';
import type { Resolved } from './options.ts';
import { type UsageMetrics, usageMetrics } from './usage-metrics.ts';

/**
 * A client view ready for evaluation, with the keys of its server-evaluated flags (`remote`) and the
 * revision at which a patch or snapshot last said one of them may have changed (`remoteAt`), so that
 * clients know when to ask the server for its answers again.
 */
export type View = WireView & { remote: ReadonlySet<string>; remoteAt: number };

/** What a connection tells its clients: `update` (a new view), `fresh`, `stale` and `error` (with the error). */
export type ConnectionListener = (type: 'update' | 'fresh' | 'stale' | 'error', error?: SwitchboardError | null) => void;

interface OwnedConnection {
  listeners: Set<ConnectionListener>;
  view: View | null;
  stale: boolean;
  /** Set when delivery stopped for good (a refused key). */
  fatal: SwitchboardError | null;
  /** Takes a view the page carries when it is newer than the one held. */
  offer(bootstrap: SnapshotPayload | null | undefined): void;
  count(flag: string, result: EvaluationResult): void;
  metrics: UsageMetrics;
  close(): void;
}

/**
 * What delivery.ts (loaded with the first connection) gets of its connection: the code that takes
 * network payloads and reports health is there, not in the entry.
 */
export interface Link {
  self: Pick<OwnedConnection, 'stale' | 'fatal'>;
  notify: ConnectionListener;
  fail(message: string): void;
  /** Makes a checked payload the view; `remoteChanged`: a patch named a server-evaluated flag (default: a snapshot of another revision). */
  use(p: SnapshotPayload, remoteChanged?: boolean): void;
  held(): SnapshotPayload | null;
  /** Where the last good view is kept between page loads. */
  cacheKey: string;
}

/** What a client sees of its connection. */
export type SharedConnection = Readonly<Omit<OwnedConnection, 'listeners' | 'close'>>;

/**
 * One stream per url + client key per page, however many clients use it: browsers allow about six
 * connections per host over HTTP/1.1, and each EventSource holds one for good. Clients come and go;
 * the last one to leave closes the stream.
 */
const connections = new Map<unknown, OwnedConnection>();

type Plugin = keyof CompileOptions;

/**
 * Operators with parsers of their own (SEMVER_*, IN_CIDR; REGEX in the script-tag build) are loaded
 * once per page, the first time a view uses them: most pages never do.
 */
const loaded: CompileOptions = {};
const loading: Partial<Record<Plugin, Promise<unknown>>> = {};

/**
 * The plug-ins the conditions of `p` use, `have` lacks and can be loaded (REGEX is opt-in). Read off
 * the JSON text: an `"operator":"X"` pair can only be a condition's (in a string value its quotes are
 * escaped), and a hand-made bootstrap may hold anything where a condition should be.
 */
function pluginsMissing(p: SnapshotPayload, have: CompileOptions): Plugin[] {
  const missing = new Set<Plugin>();
  for (const [, operator] of JSON.stringify(p).matchAll(/"operator":"(\w+)"/g)) {
    const plugin = PLUGINS[operator as string];
    if (typeof plugin === 'string' && LOADERS[plugin] && !have[plugin]) missing.add(plugin);
  }
  return [...missing];
}

/** The page's connection for `o.url` + `o.clientKey`, created on first use; `release` when done with it. */
export function acquireConnection(o: Resolved, listener: ConnectionListener): { connection: SharedConnection; release: () => void } {
  // Offline clients share nothing: each serves its own bootstrap.
  const id = o.offline ? {} : `${o.url} ${o.clientKey}`;
  const connection = connections.get(id) ?? openConnection(o);
  connections.set(id, connection);
  const { listeners } = connection;
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

function openConnection(o: Resolved): OwnedConnection {
  const listeners = new Set<ConnectionListener>();
  const cacheKey = `switchboard:${o.url}:${o.clientKey}`;
  const metrics = usageMetrics(o);
  let payload: SnapshotPayload | null = null;
  /** The server-evaluated flags of `payload` and when one last changed, see View. */
  let remote = new Set<string>();
  let remoteAt = -1;
  let stop = () => {};
  let closed = false;

  const notify: ConnectionListener = (type, error) => {
    for (const l of [...listeners]) l(type, error);
  };
  const fail = (message: string, code: 'INVALID_DATA' | 'NETWORK' = 'INVALID_DATA') => notify('error', new SwitchboardError(code, message));

  const self: OwnedConnection = {
    listeners,
    view: null,
    stale: false,
    fatal: null,
    offer(bootstrap) {
      if (bootstrap == null) return;
      const p = parseSnapshot(bootstrap);
      if (!p) fail('Malformed bootstrap');
      else if (!payload || p.revision > payload.revision) use(p);
    },
    count: metrics.count,
    metrics,
    close() {
      closed = true;
      stop();
      metrics.flush();
    },
  };

  /**
   * Makes `p` the view, once the operator plug-ins it needs are loaded. A server-evaluated flag may
   * have changed when a patch names it, or with any snapshot of another revision (a segment's members
   * or a rule on the server are not in the view: the server names the flag in a patch instead).
   */
  function use(p: SnapshotPayload, remoteChanged = p.revision !== payload?.revision): void {
    if (remoteChanged) remoteAt = p.revision;
    remote = new Set(p.flags.filter((f) => f.remote).map((f) => f.key));
    payload = p;
    const missing = pluginsMissing(p, { ...loaded, ...o.operators });
    // When loading failed there is still no plug-in: the view is used anyway, those conditions never match.
    if (missing.length > 0) void Promise.all(missing.map(load)).then(() => payload === p && compile(p));
    else compile(p);
  }

  function load(plugin: Plugin): Promise<unknown> | undefined {
    loading[plugin] ??= LOADERS[plugin]?.().then(
      (m) => (loaded[plugin] = m),
      (error) => {
        loading[plugin] = undefined;
        fail(`${plugin} operators not loaded: ${error}`, 'NETWORK');
      },
    );
    return loading[plugin];
  }

  function compile(p: SnapshotPayload): void {
    self.view = { ...wireView(p, { ...loaded, ...o.operators }), remote, remoteAt };
    notify('update');
  }

  try {
    // Nobody listens yet: the first client finds the cached view in `view`.
    const cached = parseSnapshot(JSON.parse(o.storage?.getItem(cacheKey) ?? 'null'));
    if (cached) use(cached);
  } catch {}
  // Offline: no request of any kind; an empty view (older than any bootstrap) until a client offers one.
  if (o.offline) {
    use({ environment: '', revision: -1, flags: [] });
    return self;
  }
  const start = (m: typeof import('./delivery.ts')) => {
    if (!closed) stop = m.startDelivery(o, KIT, { self, notify, fail, use, held: () => payload, cacheKey });
  };
  const retry = (): unknown =>
    loadDelivery().then(start, (e) => {
      // The code could not be loaded: the cache or bootstrap is served meanwhile, and loading is tried again.
      fail(`Delivery not loaded: ${e}`, 'NETWORK');
      if (!closed) o.timers.set(retry, 5000);
    });
  if (delivery) start(delivery);
  else retry();

  return self;
}
