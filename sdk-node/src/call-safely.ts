/**
 * Calls application code (listeners, callbacks) so that nothing it does reaches the caller: a throw
 * is caught, and a returned promise that rejects is handled, so it never becomes an unhandled rejection.
 */
export function callSafely<A extends unknown[]>(fn: (...args: A) => unknown, args: A, onError: (error: unknown) => void): void {
  try {
    const result = fn(...args);
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, onError);
    }
  } catch (error) {
    onError(error);
  }
}
