const LF = 10;
const CR = 13;

/**
 * Bounds the size of one server-sent event before the parser buffers it: counts the bytes since
 * the last blank line (the end of an event) across chunks. Without it a server, or anything in
 * between, could make the client hold an event of any size in memory.
 */
export class EventSizeGuard {
  private pending = 0;
  private prev1 = -1;
  private prev2 = -1;

  constructor(private readonly maxBytes: number) {}

  /** False once the event being received is larger than the bound. */
  accept(chunk: Uint8Array): boolean {
    let lastEnd = -1;
    let a = this.prev2;
    let b = this.prev1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      // A blank line: LF LF, CR CR, or CRLF CRLF (whose middle is LF CR LF).
      if ((c === LF && b === LF) || (c === CR && b === CR) || (c === LF && b === CR && a === LF)) lastEnd = i;
      a = b;
      b = c;
    }
    this.prev2 = a;
    this.prev1 = b;
    this.pending = lastEnd >= 0 ? chunk.length - lastEnd - 1 : this.pending + chunk.length;
    return this.pending <= this.maxBytes;
  }
}
