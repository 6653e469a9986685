// biome-ignore lint/suspicious/noExplicitAny: listener signatures vary per event
type Listeners<E> = { [K in keyof E]: (...args: any[]) => void };

export interface Emitter<E extends Listeners<E>> {
  on<K extends keyof E>(event: K, listener: E[K]): () => void;
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void;
  clear(): void;
}

/** A listener that throws is reported (as an uncaught error) without keeping the others from running. */
export function createEmitter<E extends Listeners<E>>(): Emitter<E> {
  let listeners = new Map<keyof E, Set<E[keyof E]>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set.add(listener));
      return () => void set.delete(listener);
    },
    emit(event, ...args) {
      for (const l of [...(listeners.get(event) ?? [])]) {
        try {
          l(...args);
        } catch (e) {
          queueMicrotask(() => {
            throw e;
          });
        }
      }
    },
    clear() {
      listeners = new Map();
    },
  };
}
