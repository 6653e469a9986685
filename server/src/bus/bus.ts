import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/** "Environment X reached revision N": all a replica needs to go and read the change log. */
export interface RevisionEvent {
  environment: string;
  revision: number;
}

export interface Bus {
  readonly kind: 'memory' | 'redis';
  publish(event: RevisionEvent): Promise<void>;
  subscribe(listener: (event: RevisionEvent) => void): () => void;
  close(): Promise<void>;
}

const CHANNEL = 'switchboard:revisions';

/** One process: an EventEmitter. */
export function createMemoryBus(): Bus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    kind: 'memory',
    async publish(event) {
      emitter.emit('revision', event);
    },
    subscribe(listener) {
      emitter.on('revision', listener);
      return () => emitter.off('revision', listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/**
 * Redis pub/sub across replicas. Publishing never fails a write: the change is committed already,
 * and replicas that miss the message catch up through their periodic revision check.
 */
export function createRedisBus(url: string, onError: (err: Error) => void): Bus {
  const options = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false } as const;
  const pub = new Redis(url, options);
  const sub = new Redis(url, { ...options, enableOfflineQueue: true });
  pub.on('error', onError);
  sub.on('error', onError);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  void sub.subscribe(CHANNEL).catch(onError);
  sub.on('message', (_channel: string, message: string) => {
    try {
      const event = JSON.parse(message) as RevisionEvent;
      if (typeof event.environment === 'string' && Number.isInteger(event.revision)) emitter.emit('revision', event);
    } catch {
      // Not ours or corrupt: the revision check covers whatever it was.
    }
  });
  return {
    kind: 'redis',
    async publish(event) {
      try {
        await pub.publish(CHANNEL, JSON.stringify(event));
      } catch (err) {
        onError(err as Error);
      }
      // Local listeners hear it at once, with or without Redis.
      emitter.emit('revision', event);
    },
    subscribe(listener) {
      emitter.on('revision', listener);
      return () => emitter.off('revision', listener);
    },
    async close() {
      emitter.removeAllListeners();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
