import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseTOML } from "confbox";
import { type ConfigResult, DEFAULT_INTERCEPT_DOMAINS, defaultConfig, formatConfigError, loadConfig, parseConfigText } from "../../core/config/index.ts";
import { BUN, makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";

// These tests start real processes: bunfig.toml's [test] timeout is not applied by Bun 1.4.4,
// so the default 5 s would be tight on a loaded 2-core machine.
setDefaultTimeout(30_000);

const FILE = "/home/u/.halton-meter/config.toml";

function failure(r: ConfigResult) {
  if (r.ok) throw new Error(`expected an error, got ok: ${JSON.stringify(r.config)}`);
  return r.error;
}
function success(r: ConfigResult) {
  if (!r.ok) throw new Error(`expected ok, got ${formatConfigError(r.error)}`);
  return r;
}

describe("defaults", () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = makeSandbox("hm-config-");
  });
  afterAll(() => sb.cleanup());

  test("an absent file is the defaults, with no warnings and nothing pinned", () => {
    const r = success(loadConfig(join(sb.meterHome, "config.toml")));
    expect(r.config).toEqual(defaultConfig());
    expect(r.warnings).toEqual([]);
    expect([...r.pinned]).toEqual([]);
  });

  test("an empty file and empty sections are the defaults too", () => {
    expect(success(parseConfigText("", FILE)).config).toEqual(defaultConfig());
    expect(success(parseConfigText("[daemon]\n[edge]\n[log]\n# just a comment\n", FILE)).config).toEqual(defaultConfig());
  });

  test("every section's defaults", () => {
    const d = defaultConfig();
    // Ports have no default on purpose: absent = chosen by core/ports, present = pinned.
    expect(d.daemon).toEqual({ edge_health_ttl_ms: 1000, shutdown_grace_ms: 30_000, head_timeout_ms: 10_000, idle_timeout_ms: 300_000, max_connections: 1024, attribution_timeout_ms: 250 });
    expect(d.edge).toEqual({ max_connections: 1024, head_timeout_ms: 10_000, connect_timeout_ms: 10_000, chain_timeout_ms: 150, probe_timeout_ms: 50, shutdown_grace_ms: 10_000 });
    expect(d.capture).toEqual({ extra_hosts: [], body_capture: false, body_max_bytes: 1024 * 1024, queue_max_rows: 10_000 });
    expect(d.upstream).toEqual({ proxy: "", ca_file: "", resolve: {}, connect_timeout_ms: 10_000 });
    expect(d.tagging).toEqual({ default_project: "" });
    expect(d.pricing).toEqual({ overrides: {} });
    expect(d.tls).toEqual({ intercept_domains: DEFAULT_INTERCEPT_DOMAINS, leaf_cache_size: 512 });
    expect(d.log).toEqual({ max_bytes: 10 * 1024 * 1024, keep: 3 });
    expect(d.budgets).toEqual({ window_alerts: [], notify: true, projects: {} });
    expect(Object.keys(d).sort()).toEqual(["budgets", "capture", "daemon", "edge", "log", "pricing", "tagging", "tls", "upstream"]);
  });

  test("setting one key leaves its neighbours at their defaults", () => {
    const r = success(parseConfigText("[edge]\nmax_connections = 10\n", FILE));
    expect(r.config.edge).toEqual({ ...defaultConfig().edge, max_connections: 10 });
    expect(r.config.daemon).toEqual(defaultConfig().daemon);
  });

  test("a file that cannot be read is an error naming it, not a throw", () => {
    const dir = join(sb.root, "config-is-a-dir.toml");
    mkdirSync(dir);
    const e = failure(loadConfig(dir));
    expect(e.file).toBe(dir);
    expect(e.message).toContain("cannot be read");
    rmSync(dir, { recursive: true });
  });
});

describe("errors are values naming the file and the key", () => {
  test("broken TOML: line and column, and the file name in the formatted message", () => {
    const e = failure(parseConfigText("[daemon]\nedge_port = 9000\n\n[edge]\nmax_connections = = 5\n", FILE));
    expect(e.key).toBeNull();
    expect(e.message).toMatch(/not valid TOML at line 5, column \d+/);
    expect(formatConfigError(e)).toStartWith(`${FILE}: `);
    expect(formatConfigError(e)).not.toContain("\n");
  });

  test("an unclosed section header is broken TOML on line 1", () => {
    expect(failure(parseConfigText("[daemon\nedge_port = 1\n", FILE)).message).toMatch(/line 1, column \d+/);
  });

  test("a key defined twice is broken TOML", () => {
    expect(failure(parseConfigText("[log]\nkeep = 3\nkeep = 4\n", FILE)).message).toMatch(/line 3/);
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ["a string for a port", '[daemon]\nedge_port = "8081"\n', "daemon.edge_port", /expected a port number, got "8081"/],
    ["a boolean for a port", "[daemon]\napi_port = true\n", "daemon.api_port", /expected a port number, got true/],
    ["a fractional port", "[daemon]\ninternal_port = 80.5\n", "daemon.internal_port", /whole port number, got 80.5/],
    ["port 0", "[daemon]\nedge_port = 0\n", "daemon.edge_port", /from 1 to 65535, got 0/],
    ["port 65536", "[daemon]\nedge_port = 65536\n", "daemon.edge_port", /from 1 to 65535, got 65536/],
    ["a TTL below its minimum", "[daemon]\nedge_health_ttl_ms = 10\n", "daemon.edge_health_ttl_ms", /at least 50 ms, got 10/],
    ["a negative grace", "[edge]\nshutdown_grace_ms = -1\n", "edge.shutdown_grace_ms", /at least 0 ms, got -1/],
    ["a string for a boolean", '[capture]\nbody_capture = "yes"\n', "capture.body_capture", /true or false, got "yes"/],
    ["a bad extra host", '[capture]\nextra_hosts = ["ok.example", "not a host"]\n', "capture.extra_hosts.1", /host name/],
    ["a log cap below 4 KiB", "[log]\nmax_bytes = 100\n", "log.max_bytes", /at least 4096, got 100/],
    ["an empty intercept list", "[tls]\nintercept_domains = []\n", "tls.intercept_domains", /at least one domain/],
    ["an https upstream proxy", '[upstream]\nproxy = "https://proxy.corp:3128"\n', "upstream.proxy", /http:\/\/ proxy URL/],
    ["a section that is a value", "daemon = 5\n", "daemon", /expected a \[daemon\] section, got 5/],
    ["a bad host in [upstream] resolve", '[upstream]\nresolve = { "bad host!" = "127.0.0.1" }\n', "upstream.resolve.bad host!", /host name/],
    ["a bad address in [upstream] resolve", '[upstream]\nresolve = { "api.anthropic.com" = "127.0.0.1:port" }\n', "upstream.resolve.api.anthropic.com", /an address such as/],
    ["a negative price", '[pricing.overrides."claude-sonnet-4-5"]\ninput = -3\n', "pricing.overrides.claude-sonnet-4-5.input", /price of 0 or more, got -3/],
    ["a price given as text", '[pricing.overrides.gpt-5]\noutput = "10"\n', "pricing.overrides.gpt-5.output", /US dollars per million tokens/],
  ];
  for (const [name, toml, key, message] of cases) {
    test(name, () => {
      const e = failure(parseConfigText(toml, FILE));
      expect(e.key).toBe(key);
      expect(e.message).toMatch(message);
      expect(formatConfigError(e)).toStartWith(`${FILE}: ${key}: expected `);
    });
  }

  test("an unknown section is an error listing the known ones", () => {
    const e = failure(parseConfigText("[deamon]\nedge_port = 9000\n", FILE));
    expect(e.key).toBe("deamon");
    expect(e.message).toContain("unknown section");
    expect(e.message).toContain("[daemon]");
  });

  test("an unknown key is a warning naming file and key; the rest of the file still applies", () => {
    const r = success(parseConfigText("[daemon]\nedge_prot = 9000\napi_port = 9100\n", FILE));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toStartWith(`${FILE}: daemon.edge_prot: unknown key`);
    expect(r.warnings[0]).toContain("edge_port");
    expect(r.config.daemon.api_port).toBe(9100);
    expect(r.config.daemon.edge_port).toBeUndefined();
  });
});

describe("valid values", () => {
  test("[upstream] resolve and extra hosts are lowercased; IPv6 and host:port addresses are accepted", () => {
    const r = success(parseConfigText('[upstream]\nresolve = { "API.Anthropic.com" = "127.0.0.1:8443", "api.openai.com" = "[::1]:9443" }\n[capture]\nextra_hosts = ["LLM.Example.com"]\n', FILE));
    expect(r.config.upstream.resolve).toEqual({ "api.anthropic.com": "127.0.0.1:8443", "api.openai.com": "[::1]:9443" });
    expect(r.config.capture.extra_hosts).toEqual(["llm.example.com"]);
  });

  test("price overrides: zero is a price, missing kinds stay missing", () => {
    const r = success(parseConfigText('[pricing.overrides."my-model"]\ninput = 0\noutput = 15.5\n', FILE));
    expect(r.config.pricing.overrides).toEqual({ "my-model": { input: 0, output: 15.5 } });
  });

  test("the pinned set lists exactly the keys the file sets", () => {
    const r = success(parseConfigText("[daemon]\nedge_port = 18081\napi_port = 18765\n\n[log]\nkeep = 0\n[edge]\n", FILE));
    expect([...r.pinned].sort()).toEqual(["daemon.api_port", "daemon.edge_port", "log.keep"]);
    expect(r.config.daemon.edge_port).toBe(18081);
    expect(r.config.daemon.internal_port).toBeUndefined();
    expect(r.config.log.keep).toBe(0);
  });

  test("unknown keys are not pinned", () => {
    expect([...success(parseConfigText("[daemon]\nbogus = 1\n", FILE)).pinned]).toEqual([]);
  });
});

// Known defect, kept failing until fixed (see the report): unknown keys are only looked for one
// level down, and valibot's object() drops the rest silently, so a typo in a price override
// disappears without a word and the model is priced without the rate the user meant to set.
describe("unknown keys inside a price override", () => {
  test("a misspelt price kind is warned about", () => {
    const r = success(parseConfigText('[pricing.overrides."claude-x"]\ninptu = 3\noutput = 15\n', FILE));
    expect(r.warnings.join("\n")).toContain("inptu");
  });
});

describe("`halton-meter config` (CLI)", () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = makeSandbox("hm-config-cli-");
  });
  afterAll(() => sb.cleanup());

  async function cli(...args: string[]) {
    const p = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), ...args]);
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
    return { stdout, stderr, code };
  }
  const configFile = () => join(sb.meterHome, "config.toml");
  const noStack = (s: string) => expect(s).not.toMatch(/^\s+at /m);

  test("a bad value: exit 1, stderr names the file and the key, no stack trace", async () => {
    sb.writeConfig('[daemon]\nedge_port = "eighty"\n');
    const r = await cli("config");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(configFile());
    expect(r.stderr).toContain("daemon.edge_port");
    expect(r.stdout).toBe("");
    noStack(r.stderr);
  });

  test("broken TOML: exit 1 with the line and column", async () => {
    sb.writeConfig("[daemon]\nedge_port = 9000\n[log\n");
    const r = await cli("config");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(configFile());
    expect(r.stderr).toMatch(/line 3, column \d+/);
    noStack(r.stderr);
  });

  test("a good config: exit 0, TOML that parses back to the configuration in force", async () => {
    sb.writeConfig('[daemon]\nedge_port = 18081\n\n[upstream]\nresolve = { "api.anthropic.com" = "127.0.0.1:9443" }\n');
    const r = await cli("config");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toStartWith(`# ${configFile()}\n`);
    const printed = parseTOML(r.stdout) as Record<string, Record<string, unknown>>;
    expect(printed.daemon!.edge_port).toBe(18081);
    expect(printed.edge!.max_connections).toBe(1024);
    // What is printed is itself a valid config.toml meaning the same thing.
    const again = success(parseConfigText(r.stdout, "printed"));
    expect(again.config).toEqual(success(loadConfig(configFile())).config);
  });

  test("--json prints the file and the full configuration", async () => {
    sb.writeConfig("[log]\nkeep = 7\n");
    const r = await cli("config", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.file).toBe(configFile());
    expect(out.config).toEqual({ ...defaultConfig(), log: { ...defaultConfig().log, keep: 7 } });
  });

  test("--defaults ignores the file", async () => {
    sb.writeConfig("[log]\nkeep = 7\n");
    const r = await cli("config", "--defaults", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).config).toEqual(defaultConfig());
  });

  test("an unknown key is a warning on stderr, and the command succeeds", async () => {
    sb.writeConfig("[daemon]\nedge_prot = 9000\n");
    const r = await cli("config", "--json");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("daemon.edge_prot: unknown key");
    expect(JSON.parse(r.stdout).config.daemon.edge_port).toBeUndefined();
  });

  test("an unknown flag: exit 2, named", async () => {
    rmSync(configFile(), { force: true });
    const r = await cli("config", "--jsno");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--jsno");
    expect(r.stdout).toBe("");
    noStack(r.stderr);
  });

  test("an unknown command: exit 2, named", async () => {
    const r = await cli("frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    noStack(r.stderr);
  });

  test("--version prints one line: name, version, commit, build date", async () => {
    const pkg = (await Bun.file(join(repoRoot, "package.json")).json()) as { version: string };
    const r = await cli("--version");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^halton-meter ${pkg.version.replace(/\./g, "\\.")} \\(commit \\S+, built \\S+\\)\\n$`));
  });

  test("the config path follows HALTON_METER_HOME", async () => {
    const other = join(sb.root, "elsewhere");
    mkdirSync(other);
    writeFileSync(join(other, "config.toml"), "[log]\nkeep = 9\n");
    const p = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "config", "--json"], { env: { HALTON_METER_HOME: other } });
    const out = JSON.parse(await new Response(p.stdout as ReadableStream).text());
    expect(await p.exited).toBe(0);
    expect(out.file).toBe(join(other, "config.toml"));
    expect(out.config.log.keep).toBe(9);
  });
});
