// Single checks and repairs against a hand-made state folder and a fake /proc, without a running install.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { checkPriceData, checkStore } from "../../core/doctor/checks/store.ts";
import { checkCaPermissions } from "../../core/doctor/checks/trust.ts";
import { checkSupervisor } from "../../core/doctor/checks/services.ts";
import { doctorContext, type DoctorDeps } from "../../core/doctor/context.ts";
import { listenerOn } from "../../core/doctor/listeners.ts";
import { applyRepairs } from "../../core/doctor/repairs.ts";
import { verdictOf } from "../../core/doctor/types.ts";
import { insertRows, openStore } from "../../core/store/index.ts";
import { seedRows, tempDir } from "../report/_seed.ts";
import { quietDeps } from "./_deps.ts";

let tmp: ReturnType<typeof tempDir>;
let deps: DoctorDeps;
beforeEach(() => {
  tmp = tempDir("hm-doctor-unit-");
  deps = quietDeps(tmp);
});
afterEach(() => tmp.remove());

describe("findings add up to a verdict", () => {
  test("fail beats warn beats ok; skips do not count", () => {
    const f = (status: "ok" | "warn" | "fail" | "skip") => ({ name: status, status, detail: "", hint: null });
    expect(verdictOf([f("ok"), f("skip")])).toBe("HEALTHY");
    expect(verdictOf([f("ok"), f("warn")])).toBe("INCONSISTENT");
    expect(verdictOf([f("warn"), f("fail"), f("ok")])).toBe("BROKEN");
  });
});

describe("who holds a port", () => {
  test("the LISTEN socket's inode leads to the process and its command line", () => {
    const proc = tmp.path("proc");
    mkdirSync(join(proc, "net"), { recursive: true });
    const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    // 8765 = 0x223D: one established connection from it (st 01) and the listener (st 0A)
    writeFileSync(join(proc, "net/tcp"), `${header}   0: 0100007F:223D 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 111 1\n   1: 0100007F:223D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1\n`);
    writeFileSync(join(proc, "net/tcp6"), header);
    mkdirSync(join(proc, "4242/fd"), { recursive: true });
    writeFileSync(join(proc, "4242/cmdline"), ["/usr/bin/python3", "-m", "http.server", "8765", ""].join("\0"));
    Bun.spawnSync(["ln", "-s", "socket:[222]", join(proc, "4242/fd/3")]);
    expect(listenerOn(8765, proc)).toEqual({ pid: 4242, command: "/usr/bin/python3 -m http.server 8765" });
    expect(listenerOn(8090, proc)).toBeNull();
  });
});

describe("checks and their repairs", () => {
  test("a CA key others can read: warn, and the repair makes it 600", async () => {
    writeFileSync(deps.paths.caKey, "key");
    chmodSync(deps.paths.caKey, 0o644);
    const ctx = doctorContext(deps);
    const before = checkCaPermissions(ctx);
    expect(before).toMatchObject({ status: "warn", repair: { id: "fix-ca-permissions" } });
    expect(await applyRepairs(ctx, [before])).toEqual([{ id: "fix-ca-permissions", ok: true, said: expect.stringContaining("is 600") }]);
    expect(statSync(deps.paths.caKey).mode & 0o777).toBe(0o600);
    expect(checkCaPermissions(ctx).status).toBe("ok");
  });

  test("a rollup that disagrees with the rows: warn, and the rebuild repairs it", async () => {
    const store = openStore(deps.paths.db);
    insertRows(store, seedRows(50));
    store.db.run("DELETE FROM request_rollups WHERE rowid % 2 = 0");
    store.close();
    const ctx = doctorContext(deps);
    const before = checkStore(ctx);
    expect(before).toMatchObject({ status: "warn", repair: { id: "rebuild-rollup" } });
    expect((await applyRepairs(ctx, [before]))[0]).toMatchObject({ ok: true, said: "rolled up 50 requests again" });
    expect(checkStore(ctx)).toMatchObject({ status: "ok", detail: expect.stringContaining("50 requests") });
  });

  test("a damaged database fails with a next action", () => {
    const store = openStore(deps.paths.db);
    insertRows(store, seedRows(300));
    store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    store.close();
    const fd = openSync(deps.paths.db, "r+");
    writeSync(fd, Buffer.alloc(4096 * 4, 0x5a), 0, 4096 * 4, 4096 * 2);
    closeSync(fd);
    expect(checkStore(doctorContext(deps))).toMatchObject({ status: "fail", hint: expect.stringContaining("aside") });
  });

  test("no usable supervisor is a failure for an install, with the supervisor's own hint", async () => {
    deps.supervisorError = { reason: "systemctl --user: Failed to connect to bus: No medium found", hint: "export XDG_RUNTIME_DIR=/run/user/$(id -u)" };
    expect(await checkSupervisor(doctorContext(deps))).toMatchObject({ status: "fail", hint: "export XDG_RUNTIME_DIR=/run/user/$(id -u)" });
  });

  test("old price data is a warning", () => {
    expect(checkPriceData(doctorContext({ ...deps, now: () => new Date("2026-10-01") })).status).toBe("ok");
    expect(checkPriceData(doctorContext({ ...deps, now: () => new Date("2027-06-01") }))).toMatchObject({ status: "warn", hint: expect.stringContaining("pricing.overrides") });
  });
});
