import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Audience = 'server' | 'client';

/**
 * SSE events as bytes, encoded once however many streams they go to: as they are, and framed as
 * one HTTP/1.1 chunk. Streams write the framed bytes straight to their socket, so fanning a patch
 * out costs one socket write per stream and nothing per stream besides (`ServerResponse.write`
 * would frame every write again, as four buffers, and cork and uncork the socket each time).
 */
export interface EncodedEvents {
  raw: Buffer;
  chunked: Buffer;
}

const CRLF = Buffer.from('\r\n');

/** One or more encoded events as a single write (patches of one turn, a resume's replay). */
export function encodeEvents(events: readonly Buffer[]): EncodedEvents {
  const raw = events.length === 1 ? (events[0] as Buffer) : Buffer.concat(events);
  const chunked = Buffer.concat([Buffer.from(`${raw.length.toString(16)}\r\n`, 'latin1'), raw, CRLF]);
  return { raw, chunked };
}

/** One open SSE response. Writes are dropped once it is closed; a consumer that stops reading is cut off. */
export class StreamConnection {
  private closed = false;
  private readonly socket: Socket | null;
  /** HTTP/1.1 bodies are chunked; an HTTP/1.0 one runs until the connection closes. */
  private readonly chunked: boolean;

  constructor(
    private readonly res: ServerResponse,
    readonly environment: string,
    readonly audience: Audience,
    readonly keyId: string,
    private readonly maxBufferBytes: number,
    private readonly onClosed: (conn: StreamConnection) => void,
  ) {
    res.on('close', () => this.finish());
    // The headers go now, ahead of every write below, which goes to the socket directly.
    res.flushHeaders();
    this.socket = res.socket;
    this.chunked = (res as ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding === true;
    if (this.socket === null || this.socket.destroyed) this.finish();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Writes encoded events; false when the connection is (now) closed. */
  write(events: EncodedEvents): boolean {
    const socket = this.socket;
    if (this.closed || socket === null) return false;
    // Unsent bytes pile up in memory when a client stops reading: past the bound it must go.
    if (socket.writableLength > this.maxBufferBytes) {
      this.res.destroy();
      this.finish();
      return false;
    }
    socket.write(this.chunked ? events.chunked : events.raw);
    return true;
  }

  /**
   * Writes events only this stream gets (its snapshot, a resume's replay): framed around them,
   * without copying them (a snapshot can be megabytes), corked into one send.
   */
  writeOwn(events: readonly Buffer[]): boolean {
    const socket = this.socket;
    if (this.closed || socket === null) return false;
    const length = events.reduce((n, e) => n + e.length, 0);
    // A chunk of length 0 would end the body.
    if (length === 0) return true;
    socket.cork();
    if (this.chunked) socket.write(`${length.toString(16)}\r\n`, 'latin1');
    for (const e of events) socket.write(e);
    if (this.chunked) socket.write(CRLF);
    socket.uncork();
    return true;
  }

  end(lastChunk?: string): void {
    if (this.closed) return;
    if (lastChunk !== undefined) this.res.end(lastChunk);
    else this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(this);
  }
}

/** An SSE event as bytes, encoded once however many streams it goes to. */
export function sseEvent(event: string, id: number, data: string): Buffer {
  return Buffer.from(`id: ${id}\nevent: ${event}\ndata: ${data}\n\n`);
}

/** Encoded once: the same bytes go to every stream. */
export const HEARTBEAT = encodeEvents([Buffer.from(':\n\n')]);

/**
 * What a stream gets on opening when it is already current (resumed with the latest
 * Last-Event-ID): a comment, so the client sees bytes at once rather than at the first heartbeat.
 */
export const CURRENT = encodeEvents([Buffer.from(': current\n\n')]);
