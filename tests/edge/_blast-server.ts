// A loopback server, run as its own process, that sends every connection BYTES of pseudo-random
// data (an AES-CTR keystream) honouring backpressure, then closes. It prints
// `PORT <n>` when listening and `SENT <bytes> <sha256>` after each connection.
// Usage: bun tests/edge/_blast-server.ts <bytes>

import { createCipheriv, createHash } from "node:crypto";
import type { Socket } from "bun";

const total = Number(process.argv[2] ?? 256 * 1024 * 1024);
const CHUNK = 256 * 1024;
const zeros = Buffer.alloc(CHUNK);

interface State {
  cipher: ReturnType<typeof createCipheriv>;
  hash: ReturnType<typeof createHash>;
  sent: number;
  pending: Uint8Array | null;
}

function pump(s: Socket<State>): void {
  const st = s.data;
  for (;;) {
    if (!st.pending) {
      if (st.sent >= total) {
        console.log(`SENT ${st.sent} ${st.hash.digest("hex")}`);
        s.end();
        return;
      }
      const chunk = st.cipher.update(zeros.subarray(0, Math.min(CHUNK, total - st.sent)));
      st.hash.update(chunk);
      st.sent += chunk.length;
      st.pending = chunk;
    }
    const n = s.write(st.pending);
    if (n < st.pending.length) {
      st.pending = st.pending.subarray(Math.max(0, n));
      return; // wait for drain
    }
    st.pending = null;
  }
}

const server = Bun.listen<State>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.setNoDelay(true);
      s.data = { cipher: createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16, 0)), hash: createHash("sha256"), sent: 0, pending: null };
      pump(s);
    },
    drain: pump,
    data() {},
  },
});
console.log(`PORT ${server.port}`);
