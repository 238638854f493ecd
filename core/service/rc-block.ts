// The shell rc block: proxy and trust env for every new shell, between two marker lines in
// ~/.bashrc and ~/.zshrc. Always rewritten whole (never appended twice) and removed cleanly;
// nothing outside the markers is touched.

import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fs/atomic.ts";

export const RC_BEGIN = "# >>> halton-meter >>> (written by `halton-meter init`; `halton-meter uninstall` removes it)";
export const RC_END = "# <<< halton-meter <<<";
const BEGIN_PREFIX = "# >>> halton-meter >>>";

/** Loopback never goes through the edge: the meter's own API and local dev servers. */
export const NO_PROXY = "localhost,127.0.0.1,::1";

/** What new shells get: the edge as HTTP(S) proxy, loopback direct, and the trust env. */
export function rcEnv(edgePort: number, trust: Record<string, string>): Record<string, string> {
  const proxy = `http://127.0.0.1:${edgePort}`;
  // curl reads only the lower-case http_proxy; most other tools read either case.
  return { HTTPS_PROXY: proxy, https_proxy: proxy, HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY, no_proxy: NO_PROXY, ...trust };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const shellQuote = (v: string): string => `'${v.replaceAll("'", `'\\''`)}'`;

export function renderRcBlock(env: Record<string, string>): string {
  const lines = [RC_BEGIN];
  for (const [name, value] of Object.entries(env)) {
    if (!NAME.test(name)) throw new Error(`not a shell variable name: ${name}`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  lines.push(RC_END);
  return `${lines.join("\n")}\n`;
}

const isBegin = (line: string) => line.startsWith(BEGIN_PREFIX);
const isEnd = (line: string) => line.trim() === RC_END;
const EXPORT = /^export [A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The text without any block of ours. A begin marker whose end marker was deleted by hand loses
 * only the `export` lines right after it: a user's own lines further down are never swallowed.
 */
export function withoutRcBlock(text: string): string {
  const lines = text.split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isBegin(lines[i]!)) {
      kept.push(lines[i]!);
      continue;
    }
    let end = i + 1;
    while (end < lines.length && !isEnd(lines[end]!) && !isBegin(lines[end]!)) end++;
    if (end < lines.length && isEnd(lines[end]!)) i = end;
    else {
      let j = i + 1;
      while (j < lines.length && EXPORT.test(lines[j]!)) j++;
      i = j - 1;
    }
    // The blank line we put before the block goes with it.
    if (kept.length > 0 && kept[kept.length - 1] === "" && i + 1 < lines.length) kept.pop();
  }
  return kept.join("\n");
}

/** The text with exactly one block of ours: in place of the first old one, else at the end. */
export function withRcBlock(text: string, block: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex(isBegin);
  if (at < 0) {
    const base = text === "" || text.endsWith("\n") ? text : `${text}\n`;
    return base === "" ? block : `${base}\n${block}`;
  }
  const before = lines.slice(0, at).join("\n");
  const rest = withoutRcBlock(lines.slice(at).join("\n"));
  const after = rest.startsWith("\n") ? rest.slice(1) : rest;
  return `${before}${before === "" ? "" : "\n"}${block}${after}`;
}

/**
 * The rc files to write: each of .bashrc and .zshrc that exists, plus the login shell's own
 * (created when missing, .bashrc when the shell is unknown), so a new shell always sees the block.
 */
export function rcFilesFor(userHome: string, shell: string | undefined): string[] {
  const files = [".bashrc", ".zshrc"].map((f) => join(userHome, f));
  const own = join(userHome, shell?.endsWith("zsh") ? ".zshrc" : ".bashrc");
  return files.filter((f) => f === own || existsSync(f));
}

/** Every .bashrc/.zshrc that could hold a block: the set uninstall and reset-proxy clean. */
export const allRcFiles = (userHome: string): string[] => [".bashrc", ".zshrc"].map((f) => join(userHome, f)).filter((f) => existsSync(f));

export const hasRcBlock = (files: string[]): boolean => files.some((f) => existsSync(f) && readFileSync(f, "utf8").split("\n").some(isBegin));

/** The exports inside our block in one rc file's text; null when it has no block. */
export function rcBlockExports(text: string): Record<string, string> | null {
  const lines = text.split("\n");
  const at = lines.findIndex(isBegin);
  if (at < 0) return null;
  const out: Record<string, string> = {};
  for (const line of lines.slice(at + 1)) {
    if (isEnd(line)) break;
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)='(.*)'$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replaceAll(`'\\''`, "'");
  }
  return out;
}

/**
 * Rewrites a user's rc file byte for byte outside our block: read as latin1, every byte is one
 * char, so a comment in another encoding survives (UTF-8 decoding would turn it into U+FFFD).
 * A symlinked rc file (a dotfiles repository) is written through the link, which stays a link.
 */
function rewrite(file: string, next: (text: string) => string): boolean {
  const exists = existsSync(file);
  const target = exists ? realpathSync(file) : file;
  const text = exists ? readFileSync(target, "latin1") : "";
  const updated = next(text);
  if (exists && updated === text) return false;
  writeFileAtomic(target, Buffer.from(updated, "latin1"), exists ? statSync(target).mode & 0o7777 : 0o644);
  return true;
}

/** Writes the block into each file; returns the files whose content changed. */
export function applyRcBlock(files: string[], block: string): string[] {
  const bytes = Buffer.from(block, "utf8").toString("latin1");
  return files.filter((f) => rewrite(f, (t) => withRcBlock(t, bytes)));
}

/**
 * Points existing blocks at the edge's new port: the edge calls it when it moves (a pinned
 * edge_port changed), so new shells follow it. Only a block that names the port the edge left
 * and this meter's trust bundle is rewritten: a block written for another meter home (a second
 * checkout, a test) is never touched. Returns the files changed.
 */
export function repointRcBlock(files: string[], from: number, to: number, trustBundle: string): string[] {
  // The files are read as latin1 (see rewrite): compare and write in that form.
  const bundle = Buffer.from(trustBundle, "utf8").toString("latin1");
  return files.filter(
    (f) =>
      existsSync(f) &&
      rewrite(f, (text) => {
        const env = rcBlockExports(text);
        if (!env || env.HTTPS_PROXY !== `http://127.0.0.1:${from}` || env.SSL_CERT_FILE !== bundle) return text;
        return withRcBlock(text, renderRcBlock({ ...env, ...rcEnv(to, {}) }));
      }),
  );
}

/** Removes the block from each file that has one; returns the files changed. */
export function removeRcBlock(files: string[]): string[] {
  return files.filter((f) => existsSync(f) && rewrite(f, withoutRcBlock));
}
