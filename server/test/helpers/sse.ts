import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseStream {
  status: number;
  headers: Headers;
  events: EventSourceMessage[];
  /** Every byte received, as text, for privacy checks. */
  raw(): string;
  closed: Promise<void>;
  waitFor(predicate: (e: EventSourceMessage, all: EventSourceMessage[]) => boolean, timeoutMs?: number): Promise<EventSourceMessage>;
  close(): void;
}

/** A real SSE client over fetch: records every event and byte of one stream. */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const events: EventSourceMessage[] = [];
  let text = '';
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent(e) {
      events.push(e);
      for (const w of waiters) w();
    },
  });
  const decoder = new TextDecoder();
  let done = false;
  const closed = (async () => {
    if (!res.body) return;
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done: ended, value } = await reader.read();
        if (ended) break;
        const s = decoder.decode(value, { stream: true });
        text += s;
        parser.feed(s);
      }
    } catch {
      // Aborted or cut off by the server: the stream is over either way.
    }
    done = true;
    for (const w of waiters) w();
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    raw: () => text,
    closed,
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find((e) => predicate(e, events));
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (done) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`stream ended without the awaited event; got ${JSON.stringify(events.map((e) => e.event))}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; events so far: ${JSON.stringify(events.map((e) => [e.event, e.id]))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}
