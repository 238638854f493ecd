// The one write queue under every relay. Bun's socket.write() accepts what the kernel takes and
// buffers nothing: what it does not take now waits here, in order, until `flush` on drain. The
// caller pauses its source while `send` says "backed up".

export class Outbox {
  private queue: Uint8Array[] = [];
  private bytes = 0;
  /** Bytes the writer accepted so far. */
  delivered = 0;

  /** `write` returns the bytes accepted (possibly fewer, possibly 0 or negative once closed). */
  constructor(private readonly write: (data: Uint8Array) => number) {}

  get pending(): number {
    return this.bytes;
  }

  /** Sends, or queues a copy of what is not taken. True when everything is out (the source may keep reading). */
  send(data: Uint8Array): boolean {
    if (data.length === 0) return this.queue.length === 0;
    if (this.queue.length === 0) {
      const n = Math.max(0, this.write(data));
      this.delivered += n;
      if (n === data.length) return true;
      data = data.subarray(n);
    }
    const copy = new Uint8Array(data.length);
    copy.set(data);
    this.queue.push(copy);
    this.bytes += copy.length;
    return false;
  }

  /** On drain. True when the queue is empty again. */
  flush(): boolean {
    while (this.queue.length) {
      const head = this.queue[0]!;
      const n = Math.max(0, this.write(head));
      this.bytes -= n;
      this.delivered += n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return false;
      }
      this.queue.shift();
    }
    return true;
  }

  /** The writer is gone: drop what waits. */
  clear(): void {
    this.take();
  }

  /** Hands over what waits, in order, and empties the queue (a relay taking the writer over). */
  take(): Uint8Array[] {
    const queued = this.queue;
    this.queue = [];
    this.bytes = 0;
    return queued;
  }
}
