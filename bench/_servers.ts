// The raw targets for bench/run.ts's tunnel sections, in their own process so they do not share
// an event loop with the clients being timed. Prints one JSON line: {"echo": port, "source": port}.
//   echo:   every byte comes straight back (no-delay set)
//   source: after the client's first byte, sends `bytes` bytes (argv[2]) and closes
// Usage: bun bench/_servers.ts <bytes>

import type { Socket } from "bun";

const total = Number(process.argv[2] ?? 1024 ** 3);
const block = Buffer.alloc(1024 * 1024);
for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;

const echo = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.setNoDelay(true);
    },
    data: (s, d) => void s.write(d),
  },
});

interface Send {
  started: boolean;
  sent: number;
  /** Offset into `block` of what the last partial write left. */
  offset: number;
}

function pump(s: Socket<Send>): void {
  const st = s.data;
  while (st.sent < total) {
    const want = Math.min(block.length - st.offset, total - st.sent);
    const n = s.write(block.subarray(st.offset, st.offset + want));
    if (n <= 0) return;
    st.sent += n;
    st.offset = (st.offset + n) % block.length;
    if (n < want) return;
  }
  s.end();
}

const source = Bun.listen<Send>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.setNoDelay(true);
      s.data = { started: false, sent: 0, offset: 0 };
    },
    data(s) {
      if (s.data.started) return;
      s.data.started = true;
      pump(s);
    },
    drain: pump,
  },
});

console.log(JSON.stringify({ echo: echo.port, source: source.port }));
