// A plain-text table that fits the terminal: columns with a drop rank go (highest rank first)
// until the table fits, then the one shrinkable column is cut with an ellipsis.

export interface Column<R> {
  title: string;
  cell: (row: R) => string;
  align?: "left" | "right";
  /** Dropped when the table is too wide, highest first; absent: always shown. */
  dropRank?: number;
  /** This column is cut (with "…") once nothing else can be dropped. */
  shrink?: boolean;
}

const GAP = "  ";
const MIN_SHRUNK = 6;

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Lines of the table (header, rule, rows, and a rule before `footer` rows), each at most `width` wide when it can be. */
export function renderTable<R>(rows: readonly R[], columns: readonly Column<R>[], width: number, footer: readonly R[] = []): string[] {
  let shown = [...columns];
  const all = [...rows, ...footer];
  const natural = (c: Column<R>) => Math.max(c.title.length, ...all.map((r) => c.cell(r).length));
  const total = (cols: Column<R>[]) => cols.reduce((n, c) => n + natural(c), 0) + GAP.length * Math.max(0, cols.length - 1);

  while (total(shown) > width) {
    const droppable = shown.filter((c) => c.dropRank !== undefined);
    if (droppable.length === 0) break;
    const worst = droppable.reduce((a, b) => (b.dropRank! > a.dropRank! ? b : a));
    shown = shown.filter((c) => c !== worst);
  }
  const widths = new Map(shown.map((c) => [c, natural(c)]));
  const over = total(shown) - width;
  const shrinkable = shown.find((c) => c.shrink);
  if (over > 0 && shrinkable) widths.set(shrinkable, Math.max(MIN_SHRUNK, widths.get(shrinkable)! - over));

  const line = (cells: string[]) =>
    shown
      .map((c, i) => {
        const w = widths.get(c)!;
        const text = cut(cells[i]!, w);
        return c.align === "right" ? text.padStart(w) : text.padEnd(w);
      })
      .join(GAP)
      .trimEnd();
  const rule = shown.map((c) => "-".repeat(widths.get(c)!)).join(GAP);
  const out = [line(shown.map((c) => c.title)), rule, ...rows.map((r) => line(shown.map((c) => c.cell(r))))];
  if (footer.length) out.push(rule, ...footer.map((r) => line(shown.map((c) => c.cell(r)))));
  return out;
}

/** Joins parts with " · ", starting a new line (indented) when the next part would pass `width`. */
export function wrapParts(lead: string, parts: readonly string[], width: number): string[] {
  const indent = " ".repeat(lead.length);
  const lines: string[] = [];
  let current = lead;
  let empty = true;
  for (const part of parts) {
    const next = empty ? `${current}${part}` : `${current} · ${part}`;
    if (!empty && next.length > width) {
      lines.push(current);
      current = `${indent}${part}`;
    } else current = next;
    empty = false;
  }
  lines.push(current);
  return lines;
}

/** Wraps prose at spaces; continuation lines are indented to line up after `lead`. */
export function wrapWords(lead: string, text: string, width: number): string[] {
  const indent = " ".repeat(lead.length);
  const lines: string[] = [];
  let current = lead;
  for (const word of text.split(" ")) {
    const fresh = current === lead || current === indent;
    if (!fresh && current.length + 1 + word.length > width) {
      lines.push(current);
      current = indent + word;
    } else current = fresh ? current + word : `${current} ${word}`;
  }
  lines.push(current);
  return lines;
}
