import type { EventSourceLike } from '@switchboard/sdk-browser';
import { createParser } from 'eventsource-parser';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * Enough of the browser's EventSource for Node (20 has none), with its rules: a dropped stream is
 * reopened after `retry` ms sending `Last-Event-ID`; an HTTP error or a wrong content type closes
 * it for good. Passed to the SDK as its EventSource, so the SDK's stream path runs against a real
 * server without a browser.
 */
export class NodeEventSource implements EventSourceLike {
  readyState = CONNECTING;
  private readonly listeners = new Map<string, Array<(e: MessageEvent) => void>>();
  private readonly abort = new AbortController();
  private lastEventId = '';
  private retryMs = 1000;

  constructor(readonly url: string) {
    void this.connect();
  }

  addEventListener(type: string, listener: (e: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = CLOSED;
    this.abort.abort();
  }

  private dispatch(type: string, data?: string): void {
    if (this.readyState === CLOSED && type !== 'error') return;
    for (const l of this.listeners.get(type) ?? []) l({ data } as MessageEvent);
  }

  private async connect(): Promise<void> {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      const res = await fetch(this.url, { headers, signal: this.abort.signal });
      if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
        this.readyState = CLOSED;
        this.dispatch('error');
        return;
      }
      this.readyState = OPEN;
      this.dispatch('open');
      const parser = createParser({
        onEvent: (e) => {
          if (e.id !== undefined) this.lastEventId = e.id;
          this.dispatch(e.event ?? 'message', e.data);
        },
        onRetry: (ms) => {
          this.retryMs = ms;
        },
      });
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Refused or cut off: reconnect below, as browsers do.
    }
    if (this.readyState === CLOSED) return;
    this.readyState = CONNECTING;
    this.dispatch('error');
    if (this.readyState === CONNECTING) setTimeout(() => this.readyState === CONNECTING && void this.connect(), this.retryMs);
  }
}
