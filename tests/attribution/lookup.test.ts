import { describe, expect, test } from "bun:test";
import { createAttributor, type LookupReply, type LookupRequest, MAX_REPLACED, type WorkerLike } from "../../core/attribution/lookup.ts";
import type { Timers } from "../../core/time/timers.ts";
import { memoryLog } from "../../core/log/jsonl.ts";

// The lookup's deadlines as transcripts: scripted worker threads that answer, answer late or
// never, and a clock and timers the test moves by hand. Nothing sleeps.

class FakeWorker implements WorkerLike {
  onmessage: ((e: { data: LookupReply }) => void) | null = null;
  onerror: ((e: { message?: string }) => void) | null = null;
  got: LookupRequest[] = [];
  terminated = false;
  postMessage(m: LookupRequest): void {
    this.got.push(m);
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(r: LookupReply): void {
    this.onmessage?.({ data: r });
  }
}

function world(timeoutMs = 250) {
  let t = 0;
  const due: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const h = { at: t + ms, fn, live: true };
      due.push(h);
      return h;
    },
    clearTimeout: (h) => void ((h as { live: boolean }).live = false),
  };
  const advance = async (ms: number) => {
    t += ms;
    for (const h of due.filter((d) => d.live && d.at <= t)) {
      h.live = false;
      h.fn();
    }
    await Promise.resolve();
  };
  const workers: FakeWorker[] = [];
  const log = memoryLog();
  const attributor = createAttributor({
    timeoutMs,
    defaultProject: "misc",
    log,
    timers,
    now: () => t,
    spawn: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
  });
  // Lanes start their thread on first use: the process lane first, the folder lane after.
  const proc = () => workers.find((w) => w.got.some((g) => g.op === "process") && !w.terminated)!;
  const walk = () => workers.find((w) => w.got.some((g) => g.op === "folders") && !w.terminated)!;
  return { attributor, workers, log, advance, proc, walk };
}

const client = { port: 40000, serverPort: 8081, proxyProject: null };
const events = (log: ReturnType<typeof memoryLog>, name: string) => log.lines.filter((l) => l.event === name);

describe("attribution lookup", () => {
  test("both steps answer in time: the pid comes first, then the project by the best tier", async () => {
    const w = world();
    const l = w.attributor.lookup(client);
    const first = w.proc().got[0]!;
    expect(first).toEqual({ id: first.id, op: "process", clientPort: 40000, serverPort: 8081 });
    w.proc().answer({ id: first.id, op: "process", pid: 42, proc: { envProject: null, cwd: "/home/u/src/api" } });
    expect(await l.pid).toBe(42);
    const walk = w.walk().got[0]!;
    expect(walk).toEqual({ id: first.id, op: "folders", cwd: "/home/u/src/api" });
    w.walk().answer({ id: walk.id, op: "folders", folders: { rcProject: "billing", bodyCapture: true, gitRoot: "/home/u/src/api" }, notes: [] });
    expect(await l.identity).toEqual({ pid: 42, attribution: { project: "billing", source: "haltonrc", bodyCapture: true } });
    expect(events(w.log, "attribution.incomplete")).toEqual([]);
  });

  test("the folder walk hangs: at the deadline the process's own facts answer (cwd tier), and a line says which step was late", async () => {
    const w = world();
    const l = w.attributor.lookup(client);
    w.proc().answer({ id: w.proc().got[0]!.id, op: "process", pid: 7, proc: { envProject: null, cwd: "/mnt/hung/proj" } });
    await w.advance(249);
    let settled = false;
    void l.identity.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await w.advance(1);
    expect(await l.identity).toEqual({ pid: 7, attribution: { project: "proj", source: "cwd" } });
    expect(events(w.log, "attribution.incomplete").map((e) => e.reason)).toEqual(["reading its folders took over 250 ms; went on without it"]);
    // A late answer changes nothing.
    w.walk().answer({ id: w.walk().got[0]!.id, op: "folders", folders: { rcProject: "late", gitRoot: null }, notes: [] });
    expect((await l.identity).attribution.project).toBe("proj");
  });

  test("HALTON_PROJECT is a process fact: it still wins when the walk is late", async () => {
    const w = world();
    const l = w.attributor.lookup(client);
    w.proc().answer({ id: w.proc().got[0]!.id, op: "process", pid: 7, proc: { envProject: "from-env", cwd: "/mnt/hung/proj" } });
    await w.advance(250);
    expect((await l.identity).attribution).toEqual({ project: "from-env", source: "env" });
  });

  test("the process step hangs: the pid is unknown at the deadline, and the proxy credentials or the default answer", async () => {
    const w = world();
    const plain = w.attributor.lookup(client);
    const named = w.attributor.lookup({ ...client, port: 40001, proxyProject: "ci" });
    await w.advance(250);
    expect(await plain.pid).toBeNull();
    expect(await plain.identity).toEqual({ pid: null, attribution: { project: "misc", source: "default" } });
    expect((await named.identity).attribution).toEqual({ project: "ci", source: "proxy-auth" });
    expect(events(w.log, "attribution.incomplete")[0]!.reason).toBe("finding the process took over 250 ms; went on without it");
  });

  test("a thread silent past its stuck limit is replaced; the next lookup goes to a fresh one", async () => {
    const w = world(250);
    w.attributor.lookup(client);
    const stuck = w.proc();
    await w.advance(250); // first deadline: quiet for 250 ms, not yet stuck (limit 1000 ms)
    expect(stuck.terminated).toBe(false);
    w.attributor.lookup({ ...client, port: 40002 });
    await w.advance(1000);
    expect(stuck.terminated).toBe(true);
    expect(events(w.log, "attribution.worker_replaced").map((e) => e.worker)).toEqual(["process"]);
    const l = w.attributor.lookup({ ...client, port: 40003 });
    const fresh = w.proc();
    expect(fresh).not.toBe(stuck);
    fresh.answer({ id: fresh.got[0]!.id, op: "process", pid: 9, proc: { envProject: null, cwd: null } });
    expect(await l.pid).toBe(9);
  });

  test(`after ${MAX_REPLACED} stuck threads a step is given up: lookups answer at once without it, and a line says so`, async () => {
    const w = world(250);
    for (let i = 0; i < MAX_REPLACED; i++) {
      w.attributor.lookup({ ...client, port: 41000 + i });
      await w.advance(1001);
      w.attributor.lookup({ ...client, port: 42000 + i });
      await w.advance(250);
    }
    expect(events(w.log, "attribution.step_disabled").map((e) => e.worker)).toEqual(["process"]);
    const spawned = w.workers.length;
    const warned = events(w.log, "attribution.incomplete").length;
    const l = w.attributor.lookup({ ...client, proxyProject: "still-named" });
    expect((await l.identity).attribution).toEqual({ project: "still-named", source: "proxy-auth" });
    expect(w.workers.length).toBe(spawned);
    // Said once, as step_disabled: the lookups after it do not warn again, one by one.
    expect(events(w.log, "attribution.incomplete").length).toBe(warned);
  });

  test("a thread that fails is replaced on the next lookup; the failed lookup answers at its deadline", async () => {
    const w = world();
    const l = w.attributor.lookup(client);
    const first = w.proc();
    first.onerror?.({ message: "boom" });
    await w.advance(250);
    expect((await l.identity).pid).toBeNull();
    w.attributor.lookup({ ...client, port: 40010 });
    expect(w.proc()).not.toBe(first);
    expect(events(w.log, "attribution.worker_replaced")[0]!.reason).toBe("thread failed: boom");
  });

  test("why a file was passed over is logged once per ten minutes, not per connection", async () => {
    const w = world();
    for (let i = 0; i < 3; i++) {
      const l = w.attributor.lookup({ ...client, port: 40100 + i });
      const p = w.proc().got.at(-1)!;
      w.proc().answer({ id: p.id, op: "process", pid: 5, proc: { envProject: null, cwd: "/tmp/x" } });
      await l.pid;
      const f = w.walk().got.at(-1)!;
      w.walk().answer({ id: f.id, op: "folders", folders: { gitRoot: null }, notes: ["/tmp/.haltonrc is not a regular file (a FIFO, device or folder): ignored"] });
      await l.identity;
    }
    expect(events(w.log, "attribution.file_ignored")).toHaveLength(1);
  });

  test("without /proc (no thread to start) the credentials or the default answer at once", async () => {
    const log = memoryLog();
    const a = createAttributor({ timeoutMs: 250, defaultProject: "misc", log, spawn: null });
    expect(await a.lookup(client).identity).toEqual({ pid: null, attribution: { project: "misc", source: "default" } });
  });

  test("close answers every lookup still waiting", async () => {
    const w = world();
    const l = w.attributor.lookup(client);
    w.attributor.close();
    expect((await l.identity).attribution.source).toBe("default");
  });
});
