import { callSafely } from './call-safely.ts';

type Listener<A extends unknown[]> = (...args: A) => unknown;

interface Entry {
  listener: Listener<never[]>;
  once: boolean;
}

/**
 * A typed event emitter whose `emit` cannot throw. Node's EventEmitter throws on an `error` event
 * nobody listens to and lets a throwing listener unwind into the emitter, which would put the
 * application's bugs (or its silence) on the SDK's delivery path.
 */
export class SafeEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Entry[]>();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void) {}

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    return this.add(event, listener, false);
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    return this.add(event, listener, true);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const list = this.listeners.get(event);
    if (list) {
      const i = list.findIndex((e) => e.listener === (listener as unknown));
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return;
    // A copy: listeners may add or remove listeners while we walk.
    for (const entry of [...list]) {
      if (entry.once) this.off(event, entry.listener as Listener<Events[E]>);
      callSafely(entry.listener as Listener<Events[E]>, args, (error) => this.onListenerError(String(event), error));
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }

  private add<E extends keyof Events>(event: E, listener: Listener<Events[E]>, once: boolean): this {
    if (typeof listener !== 'function') return this;
    const list = this.listeners.get(event) ?? [];
    list.push({ listener: listener as Listener<never[]>, once });
    this.listeners.set(event, list);
    return this;
  }
}
