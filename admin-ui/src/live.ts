import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { Activity } from './types.ts';

/**
 * One EventSource on GET /api/admin/stream for the whole app. Views subscribe to the `activity`
 * events they care about and refetch what they show; after a reconnect every subscriber refetches,
 * since events may have been missed meanwhile.
 */

export type LiveStatus = 'connecting' | 'live' | 'offline';

type Listener = (event: Activity | null) => void;

let source: EventSource | null = null;
let status: LiveStatus = 'offline';
let wasOpen = false;
const listeners = new Set<Listener>();
const statusListeners = new Set<() => void>();

function setStatus(next: LiveStatus) {
  if (status === next) return;
  status = next;
  for (const l of statusListeners) l();
}

export function startLive(): void {
  if (source) return;
  wasOpen = false;
  setStatus('connecting');
  const es = new EventSource('/api/admin/stream', { withCredentials: true });
  source = es;
  es.addEventListener('open', () => {
    setStatus('live');
    // A reconnect: whatever happened meanwhile was not heard, so everyone refetches.
    if (wasOpen) for (const l of listeners) l(null);
    wasOpen = true;
  });
  es.addEventListener('error', () => {
    setStatus(es.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    if (es.readyState === EventSource.CLOSED) {
      // The browser gives up on some errors (a 401 after logout, a proxy refusing); retry later.
      source = null;
      setTimeout(() => {
        if (!source && listeners.size > 0) startLive();
      }, 5000);
    }
  });
  es.addEventListener('activity', (e) => {
    let activity: Activity;
    try {
      activity = JSON.parse((e as MessageEvent<string>).data) as Activity;
    } catch {
      return;
    }
    for (const l of listeners) l(activity);
  });
}

export function stopLive(): void {
  source?.close();
  source = null;
  setStatus('offline');
}

export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (cb) => {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    () => status,
  );
}

/**
 * Calls `onChange` for activity that `relevant` accepts (and after a reconnect, with null),
 * debounced so a burst of writes costs one refetch.
 */
export function useActivity(relevant: (a: Activity) => boolean, onChange: (a: Activity | null) => void, delayMs = 120): void {
  const latest = useRef({ relevant, onChange });
  latest.current = { relevant, onChange };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: Activity | null = null;
    const listener: Listener = (a) => {
      if (a && !latest.current.relevant(a)) return;
      last = a;
      clearTimeout(timer);
      timer = setTimeout(() => latest.current.onChange(last), delayMs);
    };
    listeners.add(listener);
    return () => {
      clearTimeout(timer);
      listeners.delete(listener);
    };
  }, [delayMs]);
}
