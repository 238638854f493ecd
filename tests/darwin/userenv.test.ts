// `halton-meter userenv`: launchd's user-domain env for apps, through the fake launchctl.

import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { statePaths } from "../../core/paths.ts";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { writeInstallSentinels } from "../../core/service/sentinels.ts";
import { BUN, repoRoot } from "../harness/sandbox.ts";
import { makeDarwinSandbox } from "./_fakes.ts";

const sb = makeDarwinSandbox();
afterAll(() => sb.cleanup());
const paths = statePaths(sb.meterHome);

async function userenv(env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const p = sb.spawn([BUN, join(repoRoot, "cmd", "halton-meter.ts"), "userenv"], { env });
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr as ReadableStream).text()]);
  return { code, stderr };
}

const proxy = `http://127.0.0.1:${sb.ports.edge}`;
const expected: Record<string, string> = {
  HTTPS_PROXY: proxy,
  https_proxy: proxy,
  HTTP_PROXY: proxy,
  http_proxy: proxy,
  NO_PROXY: "localhost,127.0.0.1,::1",
  no_proxy: "localhost,127.0.0.1,::1",
  SSL_CERT_FILE: paths.trustBundle,
  REQUESTS_CA_BUNDLE: paths.trustBundle,
  CURL_CA_BUNDLE: paths.trustBundle,
  GIT_SSL_CAINFO: paths.trustBundle,
  AWS_CA_BUNDLE: paths.trustBundle,
  NODE_EXTRA_CA_CERTS: paths.caCert,
};

test("apps mode: one `launchctl setenv` per variable, the proxy at the recorded edge port", async () => {
  writeEffectivePorts(paths.effectivePorts, sb.ports);
  writeInstallSentinels(paths, { mode: "apps", supervisor: "launchd" });
  expect((await userenv()).code).toBe(0);
  expect(sb.lines("launchctl").sort()).toEqual(Object.entries(expected).map(([k, v]) => `setenv ${k} ${v}`).sort());
  expect(sb.readState<Record<string, string>>("userenv.json")).toEqual(expected);
});

test("env-only mode takes back what an earlier apps install set", async () => {
  sb.clearCalls();
  writeInstallSentinels(paths, { mode: "env-only", supervisor: "launchd" });
  expect((await userenv()).code).toBe(0);
  expect(sb.lines("launchctl").sort()).toEqual(Object.keys(expected).map((k) => `unsetenv ${k}`).sort());
  expect(sb.readState<Record<string, string>>("userenv.json")).toEqual({});
});

test("the mode in its plist wins: launchd runs userenv before init has written the sentinels", async () => {
  rmSync(paths.installMode);
  sb.clearCalls();
  expect((await userenv({ HALTON_METER_INSTALL_MODE: "full" })).code).toBe(0);
  expect(sb.lines("launchctl")).toHaveLength(12);
  expect(sb.lines("launchctl").every((l) => l.startsWith("setenv "))).toBe(true);
  expect(sb.readState<Record<string, string>>("userenv.json")).toEqual(expected);
});

test("without recorded ports it fails and says what to do", async () => {
  rmSync(paths.effectivePorts);
  sb.clearCalls();
  const r = await userenv();
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("halton-meter init");
  expect(sb.calls("launchctl")).toEqual([]);
});
