import type { ServerResponse } from 'node:http';

export type Audience = 'server' | 'client';

/** One open SSE response. Writes are dropped once it is closed; a consumer that stops reading is cut off. */
export class StreamConnection {
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    readonly environment: string,
    readonly audience: Audience,
    readonly keyId: string,
    private readonly maxBufferBytes: number,
    private readonly onClosed: (conn: StreamConnection) => void,
  ) {
    res.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Writes a preformatted chunk; false when the connection is (now) closed. */
  write(chunk: string | Buffer): boolean {
    if (this.closed) return false;
    // Unsent bytes pile up in memory when a client stops reading: past the bound it must go.
    if (this.res.writableLength > this.maxBufferBytes) {
      this.res.destroy();
      this.finish();
      return false;
    }
    this.res.write(chunk);
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
export const HEARTBEAT = Buffer.from(':\n\n');
