// What Bun 1.4.4 does with a bug nobody caught, pinned in child processes (`bun -e`): an
// unhandled rejection and an exception thrown in a timer each end the process with exit code 1,
// and an `uncaughtException` listener alone does not save it from a rejection. With
// core/log/crash-guard.ts installed, as both the edge and the daemon do at start-up, the same
// faults are logged (`<process>.uncaught`) and the process keeps running.

import { afterAll, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeThrown, installCrashGuard, reportBug } from "../../core/log/crash-guard.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { BUN, makeSandbox, repoRoot } from "../harness/sandbox.ts";

const sb = makeSandbox("hm-crash-guard-");
afterAll(() => sb.cleanup());

/** A timer due after the fault: it runs only in a process that survived. */
const PROBE = `setTimeout(() => console.log("still alive"), 50);`;
const FAULTS = {
  rejection: `Promise.reject(new Error("boom-rejection"));`,
  timer: `setTimeout(() => { throw new Error("boom-timer"); }, 0);`,
  "async function": `(async () => { await null; throw new TypeError("boom-async"); })();`,
};

async function runChild(code: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = sb.spawn([BUN, "-e", code], { cwd: sb.root });
  const [stdout, stderr, exit] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
  return { code: exit, stdout, stderr };
}

describe("Bun 1.4.4 without a guard", () => {
  for (const [name, fault] of Object.entries(FAULTS)) {
    test(`${name}: exit 1, the error on stderr, nothing after it runs`, async () => {
      const r = await runChild(`${fault}\n${PROBE}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/(error|TypeError): boom-/);
      expect(r.stderr).toContain("Bun v1.4.4");
      expect(r.stdout).not.toContain("still alive");
    });
  }

  test("an uncaughtException listener alone does not keep it alive through a rejection (Node's would)", async () => {
    const r = await runChild(`process.on("uncaughtException", () => console.log("listener ran"));\n${FAULTS.rejection}\n${PROBE}`);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toContain("error: boom-rejection");
  });

  test("a rejection with a non-Error reason ends it too", async () => {
    const r = await runChild(`Promise.reject("a plain string");\n${PROBE}`);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toContain("a plain string");
  });
});

describe("with the crash guard installed", () => {
  test("every fault is logged as daemon.uncaught and the process runs on to a normal exit", async () => {
    const logFile = join(sb.root, "guarded.log");
    const r = await runChild(`
import { installCrashGuard } from ${JSON.stringify(join(repoRoot, "core/log/crash-guard.ts"))};
import { createJsonlLog } from ${JSON.stringify(join(repoRoot, "core/log/jsonl.ts"))};
installCrashGuard(createJsonlLog({ file: ${JSON.stringify(logFile)}, maxBytes: 1 << 20, keep: 1 }), "daemon");
${Object.values(FAULTS).join("\n")}
${PROBE}`);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: "still alive\n", stderr: "" });
    const lines = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const seen = lines.map((l) => `${l.event} ${l.level} ${l.kind} ${l.error}`).sort();
    expect(seen).toEqual([
      "daemon.uncaught error exception Error: boom-timer",
      "daemon.uncaught error rejection Error: boom-rejection",
      "daemon.uncaught error rejection TypeError: boom-async",
    ]);
    expect(lines.every((l) => Array.isArray(l.stack) && l.stack.length > 0 && l.stack[0].startsWith("at "))).toBe(true);
  });

  test("installs on the emitter it is given and routes reportBug to the log", () => {
    const log = memoryLog();
    const proc = new EventEmitter();
    installCrashGuard(log, "edge", proc);
    proc.emit("uncaughtException", new RangeError("bad index"));
    proc.emit("unhandledRejection", 42);
    reportBug("proxy.callback_error", new Error("in a callback"), { callback: "data" });
    expect(log.lines.map((l) => [l.event, l.level, l.kind ?? l.callback, l.error])).toEqual([
      ["edge.uncaught", "error", "exception", "RangeError: bad index"],
      ["edge.uncaught", "error", "rejection", "42"],
      ["proxy.callback_error", "error", "data", "Error: in a callback"],
    ]);
  });

  test("describeThrown keeps the message and the top of the stack", () => {
    const d = describeThrown(new Error("x"));
    expect(d.error).toBe("Error: x");
    expect((d.stack as string[]).length).toBeGreaterThan(0);
    expect((d.stack as string[]).length).toBeLessThanOrEqual(4);
    expect(describeThrown({ not: "an error" })).toEqual({ error: "[object Object]" });
  });
});
