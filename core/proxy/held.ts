// Client bytes and FIN that arrive after a proxy has read the head and before a relay owns the
// connection (the client's TLS hello, a request body): kept in order, the client paused past a
// cap, and handed to the relay the moment it is wired, so nothing is lost or reordered between.

/** What the client may send before its relay is wired; beyond it the client is paused. */
export const HELD_CAP = 1024 * 1024;

export class HeldInput {
  readonly chunks: Uint8Array[] = [];
  private size = 0;
  /** The client half-closed meanwhile. */
  ended = false;

  constructor(private readonly pause: () => void) {}

  get bytes(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    if ((this.size += chunk.length) > HELD_CAP) this.pause();
  }

  /** Every chunk from `from` on, in order, and whether the FIN came. Empties the hold. */
  take(from = 0): { chunks: Uint8Array[]; ended: boolean } {
    const chunks = this.chunks.splice(0).slice(from);
    this.size = 0;
    return { chunks, ended: this.ended };
  }

  /** Into the relay's upstream direction: what `take` gives, then the FIN if it came. */
  handTo(up: { push(chunk: Uint8Array): void; endOfInput(): void }, from = 0): void {
    const { chunks, ended } = this.take(from);
    for (const b of chunks) up.push(b);
    if (ended) up.endOfInput();
  }
}
