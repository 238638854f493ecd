import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { parseTOML } from "confbox";
import * as v from "valibot";
import { lineOfKey } from "./_locate.ts";
import { type Config, configSchema, KNOWN_KEYS } from "./schema.ts";

export interface ConfigError {
  file: string;
  /** Dotted key path ("daemon.edge_port"), or null when the file as a whole is at fault. */
  key: string | null;
  /** The 1-based line at fault (the TOML error's, or the key's), when it is known. */
  line?: number;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: Config; warnings: string[]; pinned: Set<string> }
  | { ok: false; error: ConfigError };

/** One line: file, key, what is wrong and the key's line (a TOML error says its line itself). */
export function formatConfigError(e: ConfigError): string {
  return e.key ? `${e.file}: ${e.key}: ${e.message}${e.line ? ` (line ${e.line})` : ""}` : `${e.file}: ${e.message}`;
}

/** The defaults: what an absent config file means. */
export function defaultConfig(): Config {
  return v.parse(configSchema, {});
}

/** Reads and validates config.toml. An absent file is the defaults; anything wrong is a value, not a throw. */
export function loadConfig(file: string): ConfigResult {
  let text: string;
  try {
    // A FIFO or device would block the read (or never end): only a regular file is a config.
    if (!statSync(file).isFile()) return { ok: false, error: { file, key: null, message: "cannot be read (not a regular file: a directory, FIFO or device)" } };
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      // A symlink to a file that is gone (an unmounted dotfiles folder) is not "no config": the
      // pinned ports and hosts in it would silently give way to the defaults.
      if (isSymlink(file)) return { ok: false, error: { file, key: null, message: `is a symbolic link to ${readlinkSync(file)}, which does not exist` } };
      return { ok: true, config: defaultConfig(), warnings: [], pinned: new Set() };
    }
    return { ok: false, error: { file, key: null, message: `cannot be read (${(err as Error).message})` } };
  }
  return parseConfigText(text, file);
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

export function parseConfigText(text: string, file = "config.toml"): ConfigResult {
  let raw: unknown;
  try {
    raw = parseTOML(text);
  } catch (err) {
    const e = err as { message?: string; line?: number; column?: number };
    const what = (e.message ?? "invalid TOML").split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    const where = e.line ? ` at line ${e.line}, column ${e.column ?? 1}` : "";
    return { ok: false, error: { file, key: null, ...(e.line && { line: e.line }), message: `is not valid TOML${where}: ${what}` } };
  }
  const keyError = (path: string[], message: string): ConfigResult => {
    const line = lineOfKey(text, path);
    return { ok: false, error: { file, key: path.join(".") || null, ...(line !== null && { line }), message } };
  };
  const warnings: string[] = [];
  const pinned = new Set<string>();
  const input: Record<string, Record<string, unknown>> = {};
  for (const [section, value] of Object.entries(raw as Record<string, unknown>)) {
    const known = KNOWN_KEYS[section];
    if (!known) {
      const sections = Object.keys(KNOWN_KEYS).map((s) => `[${s}]`).join(", ");
      return keyError([section], `unknown section; expected one of ${sections}`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return keyError([section], `expected a [${section}] section, got ${describe(value)}`);
    }
    const kept: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (known.includes(key)) {
        kept[key] = inner;
        pinned.add(`${section}.${key}`);
      } else warnings.push(`${file}: ${section}.${key}: unknown key, ignored (known: ${known.join(", ")})`);
    }
    input[section] = kept;
  }
  const overrides = input.pricing?.overrides;
  if (overrides && typeof overrides === "object") {
    const kinds = ["input", "output", "cache_read", "cache_write_5m", "cache_write_1h"];
    for (const [model, prices] of Object.entries(overrides as Record<string, unknown>)) {
      if (prices && typeof prices === "object") {
        for (const k of Object.keys(prices)) if (!kinds.includes(k)) warnings.push(`${file}: pricing.overrides.${model}.${k}: unknown price kind, ignored (known: ${kinds.join(", ")})`);
      }
    }
  }
  const parsed = v.safeParse(configSchema, input);
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    return keyError((issue.path ?? []).map((p) => String(p.key)), `expected ${issue.message}, got ${describe(issue.input)}`);
  }
  return { ok: true, config: parsed.output, warnings, pinned };
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a table";
  return String(value);
}
