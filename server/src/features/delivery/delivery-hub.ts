import type { FastifyBaseLogger } from 'fastify';
import type { Bus, RevisionEvent } from '../../bus/bus.ts';
import type { Database } from '../../db/client.ts';
import { EnvironmentState, type RevisionPatch } from './environment-state.ts';
import { activeKeyIds, environmentRevisions, loadEnvironment, pruneChangeLog, readChanges } from './store.ts';
import {
  type Audience,
  CURRENT,
  type EncodedEvents,
  encodeEvents,
  HEARTBEAT,
  type StreamConnection,
  sseEvent,
} from './stream-connection.ts';

export interface HubOptions {
  db: Database;
  bus: Bus;
  log: FastifyBaseLogger;
  checkIntervalMs: number;
  /**
   * Without a successful revision check for this long, the replica cannot vouch for what it serves:
   * it closes its streams (so SDKs reconnect, to another replica if there is one) and refuses SDK
   * requests until a check succeeds again.
   */
  staleAfterMs: number;
  heartbeatMs: number;
  /** Patches kept in memory per environment for resuming streams. */
  ringSize?: number;
  /** Change-log rows kept per environment in the database. */
  changeLogKeep?: number;
  onStreamCount?: (audience: Audience, delta: number) => void;
  /** How long writing one turn of patches to an environment's streams took. */
  onFanout?: (seconds: number) => void;
}

interface RingEntry {
  revision: number;
  server: Buffer;
  client: Buffer | null;
}

const CATCH_UP_BATCH = 500;

/**
 * The replica's live side: one in-memory state per environment, kept current from the change log
 * (one read per change, whatever the number of streams), and the SSE connections it fans out to.
 * A bus message says "go read"; a periodic check of every environment's revision covers lost
 * messages and Redis outages.
 */
export class DeliveryHub {
  private readonly states = new Map<string, EnvironmentState>();
  private readonly loading = new Map<string, Promise<EnvironmentState | undefined>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly rings = new Map<string, RingEntry[]>();
  private readonly connections = new Map<string, Set<StreamConnection>>();
  /** Patches published but not yet written, per environment: written once per event-loop turn. */
  private readonly pending = new Map<string, RingEntry[]>();
  private flushScheduled = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  private closing = false;
  private checks = 0;
  private checking: Promise<void> | null = null;
  private lastConfirmedAt = Date.now();
  private current = true;
  streamCount = 0;

  constructor(private readonly o: HubOptions) {}

  start(): void {
    this.unsubscribe = this.o.bus.subscribe('revision', (e) => this.onRevision(e));
    this.lastConfirmedAt = Date.now();
    this.timers.push(
      setInterval(() => this.tick(), this.o.checkIntervalMs),
      setInterval(() => this.broadcastAll(HEARTBEAT), this.o.heartbeatMs),
    );
    for (const t of this.timers) t.unref();
    this.tick();
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** False while the revision could not be confirmed for longer than `staleAfterMs`. */
  get isCurrent(): boolean {
    return this.current;
  }

  /** One check at a time: a check stuck on a silent database must not pile up more behind it. */
  private tick(): void {
    this.assessFreshness();
    if (this.checking === null && !this.closing) {
      this.checking = this.check().finally(() => {
        this.checking = null;
      });
    }
  }

  private assessFreshness(): void {
    const silentMs = Date.now() - this.lastConfirmedAt;
    if (!this.current || silentMs <= this.o.staleAfterMs || this.closing) return;
    this.current = false;
    this.o.log.warn(
      `revision unconfirmed for ${silentMs} ms: closing ${this.streamCount} streams and refusing SDK requests until the database answers`,
    );
    this.endAllStreams();
  }

  private confirmed(at: number): void {
    this.lastConfirmedAt = Math.max(this.lastConfirmedAt, at);
    if (this.current) return;
    this.current = true;
    this.o.log.info('revision confirmed again: accepting SDK requests');
  }

  /** The environment's state, loading it on first use. Throws when the database cannot be read. */
  async state(environment: string): Promise<EnvironmentState | undefined> {
    const held = this.states.get(environment);
    if (held) return held;
    let pending = this.loading.get(environment);
    if (!pending) {
      pending = loadEnvironment(this.o.db, environment)
        .then((loaded) => {
          if (!loaded) return undefined;
          const state = this.states.get(environment) ?? new EnvironmentState(loaded);
          this.states.set(environment, state);
          // A change may have been announced while we read: one cheap look closes that gap.
          void this.requestCatchUp(environment);
          return state;
        })
        .finally(() => this.loading.delete(environment));
      this.loading.set(environment, pending);
    }
    return pending;
  }

  private onRevision(e: RevisionEvent): void {
    const state = this.states.get(e.environment);
    if (state && e.revision > state.revision) this.requestCatchUp(e.environment);
  }

  /** Runs a catch-up now, or once more after the running one: never two at once per environment. */
  requestCatchUp(environment: string): Promise<void> {
    const current = this.running.get(environment);
    if (current) {
      this.again.add(environment);
      return current;
    }
    const run = (async () => {
      do {
        this.again.delete(environment);
        try {
          await this.catchUp(environment);
        } catch (err) {
          this.o.log.warn({ err, environment }, 'catch-up failed; the periodic check retries');
          break;
        }
      } while (this.again.has(environment));
    })().finally(() => this.running.delete(environment));
    this.running.set(environment, run);
    return run;
  }

  private async catchUp(environment: string): Promise<void> {
    for (;;) {
      const state = this.states.get(environment);
      if (!state) return;
      const rows = await readChanges(this.o.db, environment, state.revision, CATCH_UP_BATCH);
      if (rows.length === 0) return;
      if (rows[0]?.revision !== state.revision + 1) {
        // The rows we need were pruned: start over from a full read.
        await this.reload(environment);
        return;
      }
      for (const row of rows) {
        const patch = state.apply(row.revision, row.change);
        if (patch === null) {
          await this.reload(environment);
          return;
        }
        this.publish(environment, patch);
      }
      if (rows.length < CATCH_UP_BATCH) return;
    }
  }

  private publish(environment: string, patch: RevisionPatch): void {
    const entry: RingEntry = {
      revision: patch.revision,
      server: sseEvent('patch', patch.revision, JSON.stringify({ revision: patch.revision, changes: patch.server })),
      client:
        patch.client.length > 0
          ? sseEvent('patch', patch.revision, JSON.stringify({ revision: patch.revision, changes: patch.client }))
          : null,
    };
    const ring = this.rings.get(environment) ?? [];
    ring.push(entry);
    if (ring.length > (this.o.ringSize ?? 1000)) ring.shift();
    this.rings.set(environment, ring);
    const pending = this.pending.get(environment);
    if (pending) pending.push(entry);
    else this.pending.set(environment, [entry]);
    // Later in this turn more patches may come (a catch-up of many rows, several bus messages):
    // streams get them all in one write.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushAll());
    }
  }

  private flushAll(): void {
    this.flushScheduled = false;
    for (const environment of [...this.pending.keys()]) this.flush(environment);
  }

  /**
   * Writes an environment's pending patches to its streams: per view, the patches encoded once
   * into one buffer, the same for every stream of that view.
   */
  private flush(environment: string): void {
    const entries = this.pending.get(environment);
    if (entries === undefined) return;
    this.pending.delete(environment);
    const conns = this.connections.get(environment);
    if (conns === undefined || conns.size === 0) return;
    const started = performance.now();
    const server = encodeEvents(entries.map((e) => e.server));
    const clientEvents = entries.flatMap((e) => (e.client === null ? [] : [e.client]));
    const client = clientEvents.length > 0 ? encodeEvents(clientEvents) : null;
    for (const conn of conns) {
      const events = conn.audience === 'server' ? server : client;
      if (events !== null) conn.write(events);
    }
    this.o.onFanout?.((performance.now() - started) / 1000);
  }

  /** Replaces an environment's state from the database and sends every stream a fresh snapshot. */
  private async reload(environment: string): Promise<void> {
    const loaded = await loadEnvironment(this.o.db, environment);
    if (!loaded) {
      this.dropEnvironment(environment);
      return;
    }
    // Patches of the old state still pending go first, so streams see revisions in order.
    this.flush(environment);
    const state = new EnvironmentState(loaded);
    this.states.set(environment, state);
    this.rings.set(environment, []);
    const events = {
      server: encodeEvents([this.snapshotEvent(state, 'server')]),
      client: encodeEvents([this.snapshotEvent(state, 'client')]),
    };
    for (const conn of this.connections.get(environment) ?? []) conn.write(events[conn.audience]);
  }

  private dropEnvironment(environment: string): void {
    this.states.delete(environment);
    this.rings.delete(environment);
    this.pending.delete(environment);
    for (const conn of this.connections.get(environment) ?? []) conn.end();
  }

  snapshotEvent(state: EnvironmentState, audience: Audience): Buffer {
    return sseEvent('snapshot', state.revision, audience === 'server' ? state.serverSnapshot() : state.clientSnapshot());
  }

  /**
   * Starts a stream: exactly the patches after `lastEventId` when this replica still has them,
   * otherwise (no id, a forged one, or one too old) a full snapshot. Then live patches.
   */
  async open(conn: StreamConnection, state: EnvironmentState, lastEventId: string | undefined): Promise<void> {
    const last = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : undefined;
    if (last !== undefined && last > state.revision) {
      // The client saw a revision this replica has not heard of yet: catch up before answering.
      await this.requestCatchUp(state.environment);
    }
    // Patches published but not yet written go to the streams already open first: this one starts
    // from the state they are part of, and must not get them again.
    this.flush(state.environment);
    const current = this.states.get(state.environment) ?? state;
    const ring = this.rings.get(state.environment) ?? [];
    if (last === undefined || last > current.revision) {
      conn.writeOwn([this.snapshotEvent(current, conn.audience)]);
    } else if (last < current.revision) {
      const first = ring[0];
      if (first !== undefined && first.revision <= last + 1) {
        const missed: Buffer[] = [];
        for (const entry of ring) {
          if (entry.revision <= last) continue;
          const chunk = conn.audience === 'server' ? entry.server : entry.client;
          if (chunk !== null) missed.push(chunk);
        }
        if (missed.length > 0) conn.writeOwn(missed);
        else conn.write(CURRENT);
      } else {
        conn.writeOwn([this.snapshotEvent(current, conn.audience)]);
      }
    } else {
      // Up to date: nothing to send but a sign of life, now rather than at the first heartbeat.
      conn.write(CURRENT);
    }
    if (!conn.isOpen) return;
    let set = this.connections.get(state.environment);
    if (!set) {
      set = new Set();
      this.connections.set(state.environment, set);
    }
    set.add(conn);
    this.streamCount++;
    this.o.onStreamCount?.(conn.audience, 1);
  }

  /** Called by a connection when it closes, however it closes. */
  readonly forget = (conn: StreamConnection): void => {
    const set = this.connections.get(conn.environment);
    if (set?.delete(conn)) {
      this.streamCount--;
      this.o.onStreamCount?.(conn.audience, -1);
    }
  };

  private broadcastAll(events: EncodedEvents): void {
    for (const set of this.connections.values()) for (const conn of set) conn.write(events);
  }

  /** The periodic check: revisions against the database, revoked keys, change-log pruning. */
  async check(): Promise<void> {
    if (this.closing) return;
    const startedAt = Date.now();
    try {
      const revisions = new Map((await environmentRevisions(this.o.db)).map((r) => [r.key, r.revision]));
      const updates: Promise<void>[] = [];
      for (const [environment, state] of this.states) {
        const revision = revisions.get(environment);
        if (revision === undefined) this.dropEnvironment(environment);
        else if (revision > state.revision) updates.push(this.requestCatchUp(environment));
        // Lower than ours: the environment was deleted and created again under the same key.
        else if (revision < state.revision)
          updates.push(this.reload(environment).catch((err) => this.o.log.warn({ err, environment }, 'reload failed')));
      }
      // Confirmed only once every environment held has reached what the database said.
      await Promise.all(updates);
      const behind = [...this.states].some(([environment, state]) => (revisions.get(environment) ?? 0) > state.revision);
      if (!behind) this.confirmed(startedAt);
      const keyIds = new Set<string>();
      for (const set of this.connections.values()) for (const conn of set) keyIds.add(conn.keyId);
      if (keyIds.size > 0) {
        const active = await activeKeyIds(this.o.db, [...keyIds]);
        for (const set of this.connections.values()) for (const conn of set) if (!active.has(conn.keyId)) conn.end();
      }
      // Pruning is housekeeping: about once a minute is plenty.
      if (++this.checks % Math.max(1, Math.round(60_000 / this.o.checkIntervalMs)) === 0) {
        for (const [environment, revision] of revisions)
          await pruneChangeLog(this.o.db, environment, revision, this.o.changeLogKeep ?? 10_000);
      }
    } catch (err) {
      this.o.log.warn({ err }, 'delivery check failed; retrying at the next interval');
    }
  }

  /** Shutdown: no new streams; every open one is told to come back after a jittered delay. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.pending.clear();
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    this.endAllStreams();
    await Promise.allSettled([...this.running.values(), ...(this.checking ? [this.checking] : [])]);
  }

  /** Every stream is told to come back after a jittered delay, so they do not return all at once. */
  private endAllStreams(): void {
    for (const set of this.connections.values()) {
      for (const conn of [...set]) {
        const retryMs = 1000 + Math.floor(Math.random() * 4000);
        conn.end(`retry: ${retryMs}\nevent: reconnect\ndata: {"retryMs":${retryMs}}\n\n`);
      }
    }
  }
}
