import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCerts, type TestCerts } from "../harness/fake-provider.ts";

// A runtime fact the proxy relies on (pin Bun, keep this test): every `data` callback gets a
// buffer of its own, never a view into a receive buffer that the next read overwrites. The edge
// keeps early client bytes and the MITM session keeps partial heads by reference because of it.
// Each case sends 4 MiB so the reader sees many callbacks, keeps every buffer, and checks once
// the stream has ended that none was overwritten.

const TOTAL = 4 * 1024 * 1024;
const pattern = Buffer.alloc(TOTAL);
for (let i = 0; i < TOTAL; i++) pattern[i] = (i * 2654435761) >>> 24;

let dir: string;
let certs: TestCerts;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hm-fresh-"));
  certs = await makeTestCerts(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Sender {
  off: number;
}

function pump(s: { write(d: Uint8Array): number; end(): void; data: Sender }): void {
  while (s.data.off < TOTAL) {
    const n = s.write(pattern.subarray(s.data.off));
    if (n <= 0) return;
    s.data.off += n;
  }
  s.end();
}

async function collect(tls: boolean): Promise<{ kept: Buffer[]; copies: Buffer[] }> {
  const server = Bun.listen<Sender>({
    hostname: "127.0.0.1",
    port: 0,
    ...(tls ? { tls: { cert: certs.cert, key: certs.key } } : {}),
    socket: {
      open(s) {
        s.data = { off: 0 };
        pump(s);
      },
      drain: pump,
      data() {},
    },
  });
  const kept: Buffer[] = [];
  const copies: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        ...(tls ? { tls: { serverName: "localhost", ca: certs.caPem } } : {}),
        socket: {
          data(_s, d) {
            kept.push(d);
            copies.push(Buffer.from(d));
          },
          close: () => resolve(),
          connectError: (_s, e) => reject(e),
        },
      }).catch(reject);
    });
  } finally {
    server.stop(true);
  }
  return { kept, copies };
}

describe("Bun gives each data callback a buffer of its own", () => {
  for (const tls of [false, true]) {
    test(tls ? "TLS sockets" : "TCP sockets", async () => {
      const { kept, copies } = await collect(tls);
      expect(kept.length).toBeGreaterThan(1);
      expect(Buffer.concat(copies).equals(pattern)).toBe(true);
      const overwritten = kept.filter((k, i) => !k.equals(copies[i]!)).length;
      expect(overwritten).toBe(0);
      expect(new Set(kept.map((k) => k.buffer)).size).toBe(kept.length);
    });
  }
});
