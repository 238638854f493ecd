import { describe, expect, test } from "bun:test";
import { lineOfKey } from "../../core/config/_locate.ts";
import { type ConfigError, formatConfigError, parseConfigText } from "../../core/config/index.ts";

// Issue 13, point 4: a config error names its line as well as its key, for a value out of range
// as much as for broken TOML, so `doctor`, `status` and the edge's log point at the line to fix.

const FILE = "/home/u/.halton-meter/config.toml";
const failure = (text: string): ConfigError => {
  const r = parseConfigText(text, FILE);
  if (r.ok) throw new Error("expected an error");
  return r.error;
};

describe("a value error carries the line of its key", () => {
  const cases: Array<[string, string, string, number]> = [
    ["a TTL below its minimum, after comments and another key", "# mine\n[daemon]\nedge_port = 9000\n\nedge_health_ttl_ms = 10\n", "daemon.edge_health_ttl_ms", 5],
    ["a key after other tables and blank lines", "[log]\nkeep = 3\n[tagging]\n[daemon]\n\n\ninternal_port = 0\n", "daemon.internal_port", 7],
    ["a dotted key outside its table", 'daemon.edge_health_ttl_ms = 10\n', "daemon.edge_health_ttl_ms", 1],
    ["an item of a list spread over lines: the key's line", '[capture]\nextra_hosts = [\n  "ok.example",\n  "not a host",\n]\n', "capture.extra_hosts.1", 2],
    ["a quoted table name", '[pricing.overrides."claude-sonnet-4-5"]\ninput = -3\n', "pricing.overrides.claude-sonnet-4-5.input", 2],
    ["an inline table", '[upstream]\nca_file = ""\nresolve = { "bad host!" = "127.0.0.1" }\n', "upstream.resolve.bad host!", 3],
    ["an unknown section", "[tagging]\n\n[deamon]\nedge_port = 9000\n", "deamon", 3],
    ["a section that is a value", "\n\ndaemon = 5\n", "daemon", 3],
  ];
  for (const [name, text, key, line] of cases) {
    test(name, () => {
      const e = failure(text);
      expect({ key: e.key, line: e.line }).toEqual({ key, line });
      expect(formatConfigError(e)).toStartWith(`${FILE}: ${key}: `);
      expect(formatConfigError(e)).toEndWith(` (line ${line})`);
    });
  }

  test("the same key in a second table of the same name is not confused with a sibling", () => {
    expect(lineOfKey("[daemon]\nedge_port = 1\n[edge]\nmax_connections = 0\n[daemon.x]\n", ["edge", "max_connections"])).toBe(4);
    expect(lineOfKey("[daemon]\nedge_port = 1\n", ["daemon", "api_port"])).toBe(1);
    expect(lineOfKey("[edge]\nx = 1\n", ["daemon", "api_port"])).toBeNull();
  });
});

describe("broken TOML keeps its own line and column", () => {
  test("garbage: line and column in the message, the line in the field, said once", () => {
    const e = failure("\x00\x01 not toml }}}\n");
    expect(e.key).toBeNull();
    expect(e.line).toBe(1);
    expect(formatConfigError(e)).toMatch(/^\/home\/u\/\.halton-meter\/config\.toml: is not valid TOML at line 1, column \d+: /);
    expect(formatConfigError(e).match(/line 1/g)).toHaveLength(1);
  });
});
