// The line a key sits on in TOML text. The parser keeps no positions for values, so an error about
// a value ("daemon.edge_health_ttl_ms: at least 50 ms") is traced back to its line by reading the
// headers and `key =` lines again. Good enough for messages; it never decides what a value is.

const HEADER = /^\s*\[\[?([^\]]*)\]\]?\s*(#.*)?$/;
const KEY_LINE = /^\s*((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=/;
const SEGMENT = /\s*([A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')\s*(?:\.|$)/y;

/** A dotted TOML key as its segments (`a."b.c"` is ["a", "b.c"]); null when it is not one. */
function segments(dotted: string): string[] | null {
  const out: string[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < dotted.length) {
    const m = SEGMENT.exec(dotted);
    if (!m) return null;
    const s = m[1]!;
    if (s.startsWith('"')) {
      try {
        out.push(JSON.parse(s) as string);
      } catch {
        return null;
      }
    } else out.push(s.startsWith("'") ? s.slice(1, -1) : s);
  }
  return out;
}

/**
 * The 1-based line of the deepest header or `key =` line whose full path leads to `path`
 * (["capture", "extra_hosts", "1"] finds the `extra_hosts = [...]` line); null when none does.
 */
export function lineOfKey(text: string, path: readonly string[]): number | null {
  let table: string[] = [];
  let best: { line: number; depth: number } | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const header = HEADER.exec(lines[i]!);
    const key = header ? null : KEY_LINE.exec(lines[i]!);
    let full: string[] | null = null;
    if (header) {
      full = segments(header[1]!.trim());
      table = full ?? [];
    } else if (key) {
      const own = segments(key[1]!);
      full = own && [...table, ...own];
    }
    if (!full || full.length === 0 || full.length > path.length) continue;
    if (!full.every((s, j) => s === path[j])) continue;
    if (!best || full.length > best.depth) best = { line: i + 1, depth: full.length };
  }
  return best?.line ?? null;
}
