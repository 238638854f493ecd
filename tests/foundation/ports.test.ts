import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { defaultConfig, parseConfigText } from "../../core/config/index.ts";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import { type AllocateInput } from "../../core/ports/allocate.ts";
import { allocatePorts, chooseAndRecordPorts, DEFAULT_PORTS, isPortFree, readEffectivePorts, resolvePorts, writeEffectivePorts } from "../../core/ports/index.ts";
import { BUN, makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";

let sb: Sandbox;
let n = 0;
beforeAll(() => {
  sb = makeSandbox("hm-ports-");
});
afterAll(() => sb.cleanup());
const freshDir = () => {
  const d = join(sb.root, `case-${++n}`);
  mkdirSync(d);
  return d;
};

describe("allocatePorts (pure)", () => {
  /** Every port free except `taken`; anyFreePort hands out 40000, 40001, ... */
  function input(over: Partial<AllocateInput> & { taken?: number[] } = {}): AllocateInput {
    const taken = new Set(over.taken ?? []);
    let next = 40_000;
    return { pinned: {}, isFree: (p) => !taken.has(p), anyFreePort: () => next++, ...over };
  }

  test("the defaults when they are free", () => {
    expect(allocatePorts(input())).toEqual({ ok: true, ports: { edge: 8081, internal: 8090, api: 8765 }, fallbacks: [] });
    expect(DEFAULT_PORTS).toEqual({ edge: 8081, internal: 8090, api: 8765 });
  });

  test("a taken default falls back to the next free port above it, and says so", () => {
    expect(allocatePorts(input({ taken: [8081, 8082, 8765] }))).toEqual({ ok: true, ports: { edge: 8083, internal: 8090, api: 8766 }, fallbacks: ["edge", "api"] });
  });

  test("when every port near the default is taken, the OS picks one", () => {
    const taken = Array.from({ length: 101 }, (_, i) => 8081 + i);
    // The run 8081..8181 covers the internal default (8090) too: it moves to the next free port.
    expect(allocatePorts(input({ taken }))).toEqual({ ok: true, ports: { edge: 40_000, internal: 8182, api: 8765 }, fallbacks: ["edge", "internal"] });
  });

  test("an OS pick that collides with one of ours is skipped", () => {
    let calls = 0;
    const picks = [8090, 8090, 41_000];
    const taken = new Set(Array.from({ length: 101 }, (_, i) => 8765 + i));
    const r = allocatePorts({ pinned: {}, isFree: (p) => !taken.has(p), anyFreePort: () => picks[calls++]! });
    expect(r).toMatchObject({ ok: true, ports: { edge: 8081, internal: 8090, api: 41_000 } });
  });

  test("a pinned port that is taken is an error naming the config key, never replaced", () => {
    const r = allocatePorts(input({ pinned: { internal: 9000 }, taken: [9000] }));
    expect(r).toEqual({ ok: false, name: "internal", port: 9000, message: expect.stringContaining("daemon.internal_port = 9000 is pinned") });
    if (!r.ok) expect(r.message).toContain("in use by another process");
  });

  test("pinned ports are used as given, even far from the defaults", () => {
    expect(allocatePorts(input({ pinned: { edge: 18081, api: 18765 } }))).toEqual({ ok: true, ports: { edge: 18081, internal: 8090, api: 18765 }, fallbacks: [] });
  });

  test("two pins on the same port: the second is refused as ours", () => {
    const r = allocatePorts(input({ pinned: { edge: 9000, api: 9000 } }));
    expect(r).toMatchObject({ ok: false, name: "api", port: 9000 });
    if (!r.ok) expect(r.message).toContain("already used by another of our ports");
  });

  test("a pinned port elsewhere pushes an unpinned default aside rather than sharing it", () => {
    const r = allocatePorts(input({ pinned: { edge: 8090 } }));
    expect(r).toMatchObject({ ok: true, ports: { edge: 8090, internal: 8091, api: 8765 }, fallbacks: ["internal"] });
  });

  test("the previous tuple is preferred while its ports are free", () => {
    const previous = { edge: 8085, internal: 8095, api: 8770 };
    expect(allocatePorts(input({ previous }))).toEqual({ ok: true, ports: previous, fallbacks: ["edge", "internal", "api"] });
    // A previous port now taken by someone else: back to the default for that one only.
    expect(allocatePorts(input({ previous, taken: [8095] }))).toMatchObject({ ok: true, ports: { edge: 8085, internal: 8090, api: 8770 } });
  });

  test("a port held by our own running process counts as available", () => {
    const r = allocatePorts(input({ pinned: { edge: 9000 }, previous: { edge: 9000, internal: 9001, api: 9002 }, taken: [9000, 9001, 9002], heldByUs: new Set([9000, 9001, 9002]) }));
    expect(r).toMatchObject({ ok: true, ports: { edge: 9000, internal: 9001, api: 9002 } });
  });

  test("two names never get the same port, whatever the probe says", () => {
    // A probe that says everything is free, a previous tuple with duplicates, an OS that repeats itself.
    let k = 0;
    const picks = [8081, 8081, 8090, 50_000];
    const r = allocatePorts({ pinned: {}, previous: { edge: 7000, internal: 7000, api: 7000 }, isFree: () => true, anyFreePort: () => picks[k++ % picks.length]! });
    expect(r.ok).toBe(true);
    if (r.ok) expect(new Set(Object.values(r.ports)).size).toBe(3);
    for (let seed = 1; seed <= 200; seed++) {
      const taken = new Set(Array.from({ length: 150 }, (_, i) => 8081 + ((i * seed * 7) % 800)));
      const rr = allocatePorts({ pinned: {}, isFree: (p) => !taken.has(p), anyFreePort: () => 30_000 + seed });
      if (rr.ok) expect(new Set(Object.values(rr.ports)).size).toBe(3);
      else throw new Error(rr.message);
    }
  });
});

describe("effective-ports.json", () => {
  test("missing, invalid JSON and wrong shapes each get a clear message", () => {
    const dir = freshDir();
    const file = join(dir, "effective-ports.json");
    expect(readEffectivePorts(file)).toEqual({ ok: false, missing: true, message: `${file} does not exist yet` });
    writeFileSync(file, "{ not json");
    expect(readEffectivePorts(file)).toEqual({ ok: false, missing: false, message: `${file} is not valid JSON` });
    for (const bad of ["null", "[8081, 8090, 8765]", '"8081"', '{"edge": 8081, "internal": 8090}', '{"edge": "8081", "internal": 8090, "api": 8765}', '{"edge": 0, "internal": 8090, "api": 8765}', '{"edge": 8081, "internal": 70000, "api": 8765}', '{"edge": 8081.5, "internal": 8090, "api": 8765}']) {
      writeFileSync(file, bad);
      expect(readEffectivePorts(file)).toEqual({ ok: false, missing: false, message: `${file} must hold "edge", "internal" and "api" port numbers` });
    }
  });

  test("an unreadable file is not reported as missing", () => {
    const dir = freshDir();
    const file = join(dir, "effective-ports.json");
    mkdirSync(file);
    const r = readEffectivePorts(file);
    expect(r).toMatchObject({ ok: false, missing: false });
    if (!r.ok) expect(r.message).toContain("cannot be read");
  });

  test("write then read round-trips, with the time it was chosen", () => {
    const file = join(freshDir(), "effective-ports.json");
    const rec = writeEffectivePorts(file, { edge: 1111, internal: 2222, api: 3333 }, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    expect(rec).toEqual({ edge: 1111, internal: 2222, api: 3333, chosen_at: "2026-01-02T03:04:05.000Z" });
    expect(readEffectivePorts(file)).toEqual({ ok: true, ports: rec });
    expect(readFileSync(file, "utf8")).toEndWith("}\n");
  });
});

describe("real ports", () => {
  let held: TCPSocketListener<unknown>;
  beforeAll(() => {
    held = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  });
  afterAll(() => held.stop(true));

  const configPinning = (toml: string) => {
    const r = parseConfigText(toml, "config.toml");
    if (!r.ok) throw new Error(r.error.message);
    return r.config;
  };

  test("isPortFree sees a listener", () => {
    expect(isPortFree(held.port)).toBe(false);
  });

  test("a pinned port held by another listener: refused naming the key, nothing recorded", () => {
    const file = join(freshDir(), "effective-ports.json");
    const r = chooseAndRecordPorts(file, configPinning(`[daemon]\nedge_port = ${held.port}\n`));
    expect(r).toMatchObject({ ok: false, name: "edge", port: held.port });
    if (!r.ok) expect(r.message).toContain(`daemon.edge_port = ${held.port}`);
    expect(existsSync(file)).toBe(false);
  });

  test("the same port unpinned (recorded last time) is replaced, and the new tuple is written", () => {
    const file = join(freshDir(), "effective-ports.json");
    writeEffectivePorts(file, { edge: held.port, internal: held.port + 1, api: held.port + 2 });
    // Hold the default edge port too, if we can; if we cannot, someone else holds it: taken either way.
    let defaultHolder: TCPSocketListener<unknown> | undefined;
    try {
      defaultHolder = Bun.listen({ hostname: "127.0.0.1", port: DEFAULT_PORTS.edge, socket: { data() {} } });
    } catch {}
    try {
      const r = chooseAndRecordPorts(file, defaultConfig());
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.ports.edge).not.toBe(held.port);
      expect(r.ports.edge).not.toBe(DEFAULT_PORTS.edge);
      expect(r.fallbacks).toContain("edge");
      const recorded = readEffectivePorts(file);
      expect(recorded.ok && { edge: recorded.ports.edge, internal: recorded.ports.internal, api: recorded.ports.api }).toEqual(r.ports);
    } finally {
      defaultHolder?.stop(true);
    }
  });

  test("a port our own process holds is kept when passed as heldByUs", () => {
    const file = join(freshDir(), "effective-ports.json");
    const r = chooseAndRecordPorts(file, configPinning(`[daemon]\nedge_port = ${held.port}\n`), new Set([held.port]));
    expect(r).toMatchObject({ ok: true, ports: { edge: held.port } });
  });

  test("resolvePorts uses a recorded tuple that honours the pins, and re-chooses one that does not", () => {
    const file = join(freshDir(), "effective-ports.json");
    // Recorded ports need not be free: the processes holding them may be ours.
    writeEffectivePorts(file, { edge: held.port, internal: 1, api: 2 });
    expect(resolvePorts(file, configPinning(`[daemon]\nedge_port = ${held.port}\n`))).toEqual({ ok: true, ports: expect.objectContaining({ edge: held.port, internal: 1, api: 2 }), fallbacks: [] });
    const r = resolvePorts(file, configPinning(`[daemon]\napi_port = ${held.port}\n`));
    expect(r).toMatchObject({ ok: false, name: "api" });
  });
});

describe("writeFileAtomic", () => {
  const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

  test("replaces the content and leaves no temp file", () => {
    const dir = freshDir();
    const file = join(dir, "state.json");
    writeFileAtomic(file, "first");
    writeFileAtomic(file, Buffer.from("second, longer than the first"));
    writeFileAtomic(file, "3");
    expect(readFileSync(file, "utf8")).toBe("3");
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  test("the mode is applied to the new file", () => {
    const file = join(freshDir(), "secret");
    writeFileAtomic(file, "x", 0o600);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("a failed rename (the target is a folder) throws and cleans up its temp file", () => {
    const dir = freshDir();
    mkdirSync(join(dir, "target"));
    writeFileSync(join(dir, "target", "inside"), "");
    expect(() => writeFileAtomic(join(dir, "target"), "x")).toThrow();
    expect(temps(dir)).toEqual([]);
  });

  // Root writes anywhere, so as root the write runs as nobody (setpriv, from util-linux): the
  // test then runs on every machine instead of silently not at all where the suite runs as root.
  test("a folder that cannot be written throws and leaves the old file untouched", () => {
    const dir = freshDir();
    const file = join(dir, "f");
    writeFileSync(file, "old");
    const script = `import { writeFileAtomic } from ${JSON.stringify(join(repoRoot, "core/fs/atomic.ts"))};
      try { writeFileAtomic(${JSON.stringify(file)}, "new"); console.log("written"); } catch (e) { console.log(e.code); }`;
    const asUser = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    chmodSync(sb.root, 0o711);
    chmodSync(dir, 0o555);
    try {
      const r = Bun.spawnSync([...asUser, BUN, "-e", script], { stdout: "pipe", stderr: "pipe" });
      expect(r.stdout.toString().trim()).toBe("EACCES");
    } finally {
      chmodSync(dir, 0o700);
      chmodSync(sb.root, 0o700);
    }
    expect(readFileSync(file, "utf8")).toBe("old");
    expect(temps(dir)).toEqual([]);
  });

  test("a concurrent reader never sees a torn file (two 1 MiB contents rewritten in a tight loop)", async () => {
    const dir = freshDir();
    const file = join(dir, "big.bin");
    const A = Buffer.alloc(1 << 20, "A");
    const B = Buffer.alloc(1 << 20, "B");
    writeFileAtomic(file, A);
    const script = join(dir, "writer.ts");
    writeFileSync(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(join(repoRoot, "core/fs/atomic.ts"))};
const a = Buffer.alloc(1 << 20, "A"), b = Buffer.alloc(1 << 20, "B");
for (let i = 0; i < 120; i++) writeFileAtomic(${JSON.stringify(file)}, i % 2 ? a : b);
`,
    );
    const child = sb.spawn([BUN, script]);
    const seen = { A: 0, B: 0 };
    let reads = 0;
    const torn: string[] = [];
    while (child.exitCode === null) {
      for (let k = 0; k < 20; k++) {
        const got = readFileSync(file);
        reads++;
        if (got.equals(A)) seen.A++;
        else if (got.equals(B)) seen.B++;
        else torn.push(`read ${reads}: ${got.length} bytes, first ${got.subarray(0, 1).toString()} last ${got.subarray(-1).toString()}`);
      }
      await Bun.sleep(0);
    }
    expect(await child.exited).toBe(0);
    expect(torn.slice(0, 3)).toEqual([]);
    // The reader raced the writer: both contents were observed.
    expect(seen.A).toBeGreaterThan(0);
    expect(seen.B).toBeGreaterThan(0);
    console.log(`atomic write: ${reads} reads of 1 MiB during 120 writes: ${seen.A} A, ${seen.B} B, ${torn.length} torn`);
    expect(temps(dir)).toEqual([]);
  }, 60_000);
});
