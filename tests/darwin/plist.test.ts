// Every generated plist is read back by a real parser (Python's plistlib).

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentPlist, LABELS } from "../../platform/darwin/agents.ts";
import { renderPlist } from "../../platform/darwin/plist.ts";
import { plistlib } from "./_fakes.ts";
import { planFor } from "./_plan.ts";

const dir = mkdtempSync(join(tmpdir(), "hm-plist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function parsed(text: string): Record<string, unknown> {
  const file = join(dir, `p${n++}.plist`);
  writeFileSync(file, text);
  return plistlib(file);
}

const ODD_HOME = `/Users/Jo & "Ann" <o'b> ]]> é 🙂/.halton-meter`;

describe("the four agents", () => {
  const plan = planFor(ODD_HOME);
  const byName = Object.fromEntries(plan.services.map((s) => [s.name, parsed(renderPlist(agentPlist(s, "full")))]));

  test("labels, programs, environment and log paths survive a real parser, odd characters included", () => {
    for (const s of plan.services) {
      const p = byName[s.name]!;
      expect(p.Label).toBe(LABELS[s.name]);
      expect(p.ProgramArguments).toEqual(s.argv);
      const mode = s.name === "userenv" ? { HALTON_METER_INSTALL_MODE: "full" } : {};
      expect(p.EnvironmentVariables).toEqual({ HALTON_METER_HOME: ODD_HOME, ...mode });
      expect(p.StandardOutPath).toBe(join(ODD_HOME, `${s.name}.out.log`));
      expect(p.StandardErrorPath).toBe(join(ODD_HOME, `${s.name}.err.log`));
    }
    expect(Object.keys(byName).sort()).toEqual(["daemon", "edge", "userenv", "watchdog"]);
  });

  test("the daemon neither runs at load nor has any KeepAlive key (any value would imply RunAtLoad)", () => {
    expect(byName.daemon!.RunAtLoad).toBe(false);
    expect("KeepAlive" in byName.daemon!).toBe(false);
    expect(byName.daemon!.ExitTimeOut).toBe(30);
  });

  test("the watchdog follows the daemon: started by `start`, not at load", () => {
    expect(byName.watchdog!.RunAtLoad).toBe(false);
    expect("KeepAlive" in byName.watchdog!).toBe(false);
  });

  test("the edge is always on and respawns within a second", () => {
    expect(byName.edge!.RunAtLoad).toBe(true);
    expect(byName.edge!.KeepAlive).toBe(true);
    expect(byName.edge!.ThrottleInterval).toBe(1);
  });

  test("userenv is a one-shot at load", () => {
    expect(byName.userenv!.RunAtLoad).toBe(true);
    expect("KeepAlive" in byName.userenv!).toBe(false);
  });
});

describe("renderPlist", () => {
  const base = { label: "com.example.x", programArguments: ["/bin/echo", "a<b>&c", `"q" 'a'`], env: { Z: "1", A: "x&y" }, stdoutPath: "/tmp/o", stderrPath: "/tmp/e", runAtLoad: false, keepAlive: false };

  test("is deterministic and orders environment keys", () => {
    const a = renderPlist(base);
    expect(renderPlist({ ...base, env: { A: "x&y", Z: "1" } })).toBe(a);
    expect(a.indexOf("<key>A</key>")).toBeLessThan(a.indexOf("<key>Z</key>"));
    expect(parsed(a).ProgramArguments).toEqual(base.programArguments);
  });

  test("refuses text XML cannot carry and relative programs", () => {
    expect(() => renderPlist({ ...base, env: { X: "bell\u0007" } })).toThrow(/control character/);
    expect(() => renderPlist({ ...base, programArguments: ["halton-meter", "daemon"] })).toThrow(/absolute/);
  });

  test("newlines, carriage returns and tabs are kept exactly", () => {
    expect(parsed(renderPlist({ ...base, env: { X: "a\tb\nc\r\nd\re" } })).EnvironmentVariables).toEqual({ X: "a\tb\nc\r\nd\re" });
  });
});
