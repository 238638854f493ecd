import { describe, expect, test } from "bun:test";
import { Pipe, type Sink, type Source } from "../../core/proxy/pipe.ts";

// core/proxy/pipe.ts as transcripts: a fake source and sink record every call, the sink
// accepts as many bytes as the test allows, and each step asserts what the pipe did.

class FakeSink implements Sink {
  /** Bytes the next write may accept; Infinity = everything. */
  room = Number.POSITIVE_INFINITY;
  received: number[] = [];
  log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.room);
    this.room -= n;
    this.received.push(...data.subarray(0, n));
    this.log.push(`write ${data.length} -> ${n}`);
    return n;
  }
  shutdown(): void {
    this.log.push("shutdown");
  }
  get text(): string {
    return Buffer.from(this.received).toString("latin1");
  }
}

class FakeSource implements Source {
  constructor(private readonly log: string[]) {}
  pause(): void {
    this.log.push("pause");
  }
  resume(): void {
    this.log.push("resume");
  }
}

function rig() {
  const log: string[] = [];
  const sink = new FakeSink(log);
  const source = new FakeSource(log);
  const pipe = new Pipe(source, sink, () => log.push("finished"));
  const take = () => log.splice(0);
  return { log, sink, pipe, take };
}

const b = (s: string) => Buffer.from(s, "latin1");

describe("Pipe", () => {
  test("a sink that takes everything: bytes pass straight through, nothing is paused", () => {
    const { sink, pipe, take } = rig();
    pipe.push(b("hello "));
    pipe.push(b("world"));
    expect(take()).toEqual(["write 6 -> 6", "write 5 -> 5"]);
    expect(sink.text).toBe("hello world");
    expect(pipe.pending).toBe(0);
    expect(pipe.delivered).toBe(11);
  });

  test("a partial write queues the rest and pauses the source; later chunks queue behind it", () => {
    const { sink, pipe, take } = rig();
    sink.room = 3;
    pipe.push(b("abcdef"));
    expect(take()).toEqual(["write 6 -> 3", "pause"]);
    expect(pipe.pending).toBe(3);
    // While something waits, new bytes are not written ahead of it (order is kept).
    sink.room = 100;
    pipe.push(b("ghi"));
    expect(take()).toEqual([]);
    expect(pipe.pending).toBe(6);
    expect(sink.text).toBe("abc");
  });

  test("drain flushes the queue in order, then resumes the source", () => {
    const { sink, pipe, take } = rig();
    sink.room = 0;
    pipe.push(b("one"));
    pipe.push(b("two"));
    expect(take()).toEqual(["write 3 -> 0", "pause"]);
    sink.room = 4;
    pipe.drain();
    // The first queued chunk goes whole, the second only in part: still paused.
    expect(take()).toEqual(["write 3 -> 3", "write 3 -> 1"]);
    expect(pipe.pending).toBe(2);
    sink.room = Number.POSITIVE_INFINITY;
    pipe.drain();
    expect(take()).toEqual(["write 2 -> 2", "resume"]);
    expect(sink.text).toBe("onetwo");
    expect(pipe.pending).toBe(0);
    expect(pipe.delivered).toBe(6);
  });

  test("a sink that reports a negative count (closed) counts as zero accepted", () => {
    const log: string[] = [];
    const closedSink: Sink = { write: () => -1, shutdown: () => log.push("shutdown") };
    const p = new Pipe({ pause: () => log.push("pause"), resume: () => log.push("resume") }, closedSink);
    p.push(b("abc"));
    expect(log).toEqual(["pause"]);
    expect(p.pending).toBe(3);
    expect(p.delivered).toBe(0);
  });

  test("endOfInput with nothing queued shuts the sink down at once, and only once", () => {
    const { pipe, take } = rig();
    pipe.push(b("x"));
    pipe.endOfInput();
    pipe.endOfInput();
    expect(take()).toEqual(["write 1 -> 1", "shutdown", "finished"]);
    pipe.push(b("late"));
    expect(take()).toEqual([]);
  });

  test("endOfInput waits for the queue: the shutdown comes after the last byte", () => {
    const { sink, pipe, take } = rig();
    sink.room = 2;
    pipe.push(b("abcd"));
    pipe.endOfInput();
    expect(take()).toEqual(["write 4 -> 2", "pause"]);
    sink.room = 1;
    pipe.drain();
    expect(take()).toEqual(["write 2 -> 1"]);
    sink.room = 10;
    pipe.drain();
    // No resume: the source has ended, so the sink is half-closed instead.
    expect(take()).toEqual(["write 1 -> 1", "shutdown", "finished"]);
    expect(sink.text).toBe("abcd");
  });

  test("abort drops the queue: nothing more is written, no shutdown, finished once", () => {
    const { sink, pipe, take } = rig();
    sink.room = 1;
    pipe.push(b("abc"));
    expect(take()).toEqual(["write 3 -> 1", "pause"]);
    pipe.abort();
    expect(take()).toEqual(["finished"]);
    expect(pipe.pending).toBe(0);
    sink.room = 100;
    pipe.push(b("more"));
    pipe.abort();
    pipe.endOfInput();
    expect(take()).toEqual([]);
    expect(sink.text).toBe("a");
  });

  test("queued bytes are copies: mutating the pushed buffer afterwards changes nothing delivered", () => {
    const { sink, pipe } = rig();
    sink.room = 2;
    const chunk = b("abcdef");
    pipe.push(chunk);
    const second = b("ghi");
    pipe.push(second);
    chunk.fill(0x58); // "X"
    second.fill(0x59); // "Y"
    sink.room = Number.POSITIVE_INFINITY;
    pipe.drain();
    expect(sink.text).toBe("abcdefghi");
  });

  test("a view into a larger buffer (as sockets hand out) is copied, not the whole buffer", () => {
    const { sink, pipe } = rig();
    const backing = b("0123456789");
    sink.room = 1;
    pipe.push(backing.subarray(3, 7));
    expect(pipe.pending).toBe(3);
    backing.fill(0);
    sink.room = Number.POSITIVE_INFINITY;
    pipe.drain();
    expect(sink.text).toBe("3456");
  });

  test("empty chunks are ignored", () => {
    const { pipe, take } = rig();
    pipe.push(new Uint8Array(0));
    expect(take()).toEqual([]);
  });

  test("1 MiB through a sink that takes random amounts arrives whole and in order", () => {
    const { sink, pipe } = rig();
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const data = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
    let off = 0;
    while (off < data.length) {
      const len = 1 + Math.floor(rand() * 20_000);
      sink.room = Math.floor(rand() * 30_000);
      pipe.push(data.subarray(off, off + len));
      off += len;
      if (rand() < 0.5) {
        sink.room = Math.floor(rand() * 30_000);
        pipe.drain();
      }
    }
    pipe.endOfInput();
    sink.room = Number.POSITIVE_INFINITY;
    pipe.drain();
    expect(sink.received.length).toBe(data.length);
    expect(Buffer.from(sink.received).equals(Buffer.from(data))).toBe(true);
    expect(pipe.delivered).toBe(data.length);
  });
});
