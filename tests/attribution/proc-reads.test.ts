import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidForConnection, pidsForConnections } from "../../core/attribution/proc-net.ts";
import { MAX_RC_BYTES, procView } from "../../core/attribution/proc-view.ts";

// The reads behind attribution, on the real /proc and real files: the batch walk agrees with
// one-by-one lookups, and the files anybody can plant are refused without blocking.

const dir = mkdtempSync(join(tmpdir(), "hm-procreads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("/proc lookups", () => {
  test("a batch of connections is resolved in one walk, to the same pids as one by one", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const socks = await Promise.all(Array.from({ length: 8 }, () => Bun.connect({ hostname: "127.0.0.1", port: l.port, socket: { data() {} } })));
      const conns = socks.map((s) => ({ clientPort: s.localPort, serverPort: l.port }));
      const batch = pidsForConnections([...conns, { clientPort: 1, serverPort: 1 }]);
      expect(batch).toEqual([...conns.map(() => process.pid), null]);
      expect(conns.map((c) => pidForConnection(c.clientPort, c.serverPort))).toEqual(batch.slice(0, 8));
      for (const s of socks) s.end();
    } finally {
      l.stop(true);
    }
  });
});

describe("planted files", () => {
  const notes: string[] = [];
  const view = procView((why) => notes.push(why));

  test("a FIFO is refused at once (an open for reading would wait for a writer forever)", () => {
    const fifo = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    expect(view.readFile(fifo)).toBeNull();
    expect(notes.at(-1)).toBe(`${fifo} is not a regular file (a FIFO, device or folder): ignored`);
  });

  test("a directory and a file over the limit are refused; a small file is read; an absent one is quietly null", () => {
    const sub = join(dir, "sub");
    mkdirSync(sub);
    expect(view.readFile(sub)).toBeNull();
    const huge = join(dir, "huge");
    writeFileSync(huge, "x".repeat(MAX_RC_BYTES + 1));
    expect(view.readFile(huge)).toBeNull();
    expect(notes.at(-1)).toBe(`${huge} is ${MAX_RC_BYTES + 1} bytes, over the ${MAX_RC_BYTES}-byte limit: ignored`);
    const small = join(dir, "small");
    writeFileSync(small, 'project = "ok"\n');
    expect(view.readFile(small)).toBe('project = "ok"\n');
    const before = notes.length;
    expect(view.readFile(join(dir, "absent"))).toBeNull();
    expect(notes.length).toBe(before);
  });

  test("/dev/zero (a device that never ends) is refused", () => {
    expect(view.readFile("/dev/zero")).toBeNull();
    expect(notes.at(-1)).toContain("/dev/zero is not a regular file");
  });
});
