import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/** "Environment X reached revision N": all a replica needs to go and read the change log. */
export interface RevisionEvent {
  environment: string;
  revision: number;
}

/** "Somebody changed something": what the admin UI listens to, so editors see each other's work. */
export interface ActivityEvent {
  action: string;
  resourceType: string;
  resourceKey: string;
  environment: string | null;
  actor: string;
  at: string;
}

export interface BusTopics {
  revision: RevisionEvent;
  activity: ActivityEvent;
}
export type BusTopic = keyof BusTopics;

export interface Bus {
  readonly kind: 'memory' | 'redis';
  publish<K extends BusTopic>(topic: K, event: BusTopics[K]): Promise<void>;
  subscribe<K extends BusTopic>(topic: K, listener: (event: BusTopics[K]) => void): () => void;
  close(): Promise<void>;
}

const TOPICS: readonly BusTopic[] = ['revision', 'activity'];
const channelOf = (topic: BusTopic) => `switchboard:${topic}`;

function localEmitter() {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    emit: (topic: BusTopic, event: unknown) => emitter.emit(topic, event),
    subscribe<K extends BusTopic>(topic: K, listener: (event: BusTopics[K]) => void) {
      emitter.on(topic, listener);
      return () => {
        emitter.off(topic, listener);
      };
    },
    close: () => emitter.removeAllListeners(),
  };
}

/** One process: an EventEmitter. */
export function createMemoryBus(): Bus {
  const local = localEmitter();
  return {
    kind: 'memory',
    async publish(topic, event) {
      local.emit(topic, event);
    },
    subscribe: local.subscribe,
    async close() {
      local.close();
    },
  };
}

/**
 * Redis pub/sub across replicas. Publishing never fails a write: the change is committed already,
 * and replicas that miss a revision catch up through their periodic revision check.
 */
export function createRedisBus(url: string, onError: (err: Error) => void): Bus {
  const options = { maxRetriesPerRequest: 1, enableOfflineQueue: false } as const;
  const pub = new Redis(url, options);
  const sub = new Redis(url, { ...options, enableOfflineQueue: true });
  pub.on('error', onError);
  sub.on('error', onError);
  const local = localEmitter();
  void sub.subscribe(...TOPICS.map(channelOf)).catch(onError);
  sub.on('message', (channel: string, message: string) => {
    const topic = TOPICS.find((t) => channelOf(t) === channel);
    if (!topic) return;
    try {
      local.emit(topic, JSON.parse(message));
    } catch {
      // Not ours or corrupt: the revision check covers whatever it was.
    }
  });
  return {
    kind: 'redis',
    async publish(topic, event) {
      try {
        // Our own subscription hears it back from Redis; when Redis is down, tell local listeners.
        await pub.publish(channelOf(topic), JSON.stringify(event));
      } catch (err) {
        onError(err as Error);
        local.emit(topic, event);
      }
    },
    subscribe: local.subscribe,
    async close() {
      local.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
