// Single checks and repairs against a hand-made state folder and a fake /proc, without a running install.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { checkPriceData, checkUnpriced } from "../../core/doctor/checks/pricing.ts";
import { checkStore } from "../../core/doctor/checks/store.ts";
import { checkCaPermissions } from "../../core/doctor/checks/trust.ts";
import { checkSupervisor } from "../../core/doctor/checks/services.ts";
import { doctorContext, type DoctorDeps } from "../../core/doctor/context.ts";
import { listenerOn } from "../../core/doctor/listeners.ts";
import { renderReport } from "../../core/doctor/render.ts";
import { applyRepairs } from "../../core/doctor/repairs.ts";
import { verdictOf } from "../../core/doctor/types.ts";
import { preparePriceData } from "../../core/pricing/update.ts";
import { insertRows, openStore } from "../../core/store/index.ts";
import { newerData } from "../pricing/_data.ts";
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

  test("price data installed by `pricing update` is named, with where it came from; a damaged file is a warning", () => {
    const p = preparePriceData(JSON.stringify(newerData()), { from: "https://prices.test/data.json", now: new Date("2026-11-20T08:00:00Z") });
    if (!p.ok) throw new Error(p.message);
    writeFileSync(deps.paths.priceData, p.text);
    expect(checkPriceData(doctorContext({ ...deps, now: () => new Date("2026-12-01") }))).toEqual({
      name: "price-data",
      status: "ok",
      detail: `${p.data.source}, installed by \`pricing update\` from https://prices.test/data.json: prices as of 2026-11-20 (11 days old)`,
      hint: null,
    });
    writeFileSync(deps.paths.priceData, p.text.slice(0, 100));
    expect(checkPriceData(doctorContext(deps))).toMatchObject({ status: "warn", detail: expect.stringContaining("is damaged"), hint: expect.stringContaining("pricing update") });
  });

  test("unpriced requests: which models, how many, and the config lines that would price them", () => {
    const store = openStore(deps.paths.db);
    const row = (i: number, model: string | null, priced: boolean, cacheRead = 0) => ({
      ...seedRows(1)[0]!,
      exchangeId: `u-${i}`,
      provider: "openai",
      model,
      tokens: { input: 10, output: 5, cacheRead, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
      priceStatus: priced ? ("priced" as const) : ("unpriced" as const),
      costMicros: priced ? 100 : null,
    });
    insertRows(store, [
      ...Array.from({ length: 7 }, (_, i) => row(i, "gpt-99-ultra", false, 50)),
      ...Array.from({ length: 3 }, (_, i) => row(10 + i, "house-model", false)),
      row(20, null, false),
      row(21, "gpt-5", true),
      { ...row(22, null, false), provider: "halton-meter", priceStatus: "unmetered" as const },
    ]);
    store.close();
    const f = checkUnpriced(doctorContext(deps));
    expect(f).toMatchObject({ name: "unpriced", status: "warn", detail: "11 stored requests without a price: openai gpt-99-ultra (7), openai house-model (3), openai (no model named) (1)" });
    expect(f.hint!.split("\n")).toEqual([
      "run `halton-meter pricing update` for newer genai-prices data, or put each model's prices (USD per million tokens) in config.toml as below; then `halton-meter pricing reprice` prices the stored requests",
      "[pricing.overrides]",
      '"gpt-99-ultra" = { input = <price>, output = <price>, cache_read = <price> }',
      '"house-model" = { input = <price>, output = <price> }',
    ]);
    // Shown as they are, not wrapped: they are lines to paste.
    const text = renderReport({ verdict: verdictOf([f]), findings: [f] }, 60);
    expect(text.some((l) => l.trim() === '"gpt-99-ultra" = { input = <price>, output = <price>, cache_read = <price> }')).toBe(true);
    expect(text.filter((l) => l.includes("→")).length).toBe(1);
  });

  test("unpriced: ok with every request priced, or no database", () => {
    expect(checkUnpriced(doctorContext(deps))).toMatchObject({ status: "ok", detail: "no requests stored yet" });
    const store = openStore(deps.paths.db);
    insertRows(store, seedRows(40).filter((r) => r.priceStatus !== "unpriced"));
    store.close();
    expect(checkUnpriced(doctorContext(deps))).toMatchObject({ status: "ok", detail: "every metered request stored has a price" });
  });
});
