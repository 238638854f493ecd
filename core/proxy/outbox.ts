// Writes to one socket without losing bytes: what the kernel does not take now waits here,
// in order, until `flush` on drain. The caller pauses its source while `send` says "backed up".

export class Outbox {
  private queue: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly write: (data: Uint8Array) => number) {}

  get pending(): number {
    return this.bytes;
  }

  /** Sends or queues a copy. True when everything is out (the source may keep reading). */
  send(data: Uint8Array): boolean {
    if (data.length === 0) return this.queue.length === 0;
    if (this.queue.length === 0) {
      const n = Math.max(0, this.write(data));
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
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return false;
      }
      this.queue.shift();
    }
    return true;
  }
}
