// The price table `pricing list` prints, fitted to the terminal's width.

import type { PriceListRow } from "../../../core/pricing/types.ts";

/** USD per million tokens: at least two decimals, at most four, no float noise. */
export function formatRate(n: number | null): string {
  if (n === null) return "-";
  const s = String(Number(n.toFixed(4)));
  const dot = s.indexOf(".");
  if (dot < 0) return `${s}.00`;
  return s.length - dot - 1 < 2 ? `${s}0` : s;
}

function formatThreshold(tokens: number): string {
  return tokens >= 1000 ? `${Math.round(tokens / 1000)}k` : String(tokens);
}

interface Column {
  title: string;
  /** Short label for the stacked layout. */
  short: string;
  cell(r: PriceListRow): string;
  right?: boolean;
}

const longContext = (r: PriceListRow) =>
  r.longContext ? `>${formatThreshold(r.longContext.aboveInputTokens)}: ${formatRate(r.longContext.input)}/${formatRate(r.longContext.output)}` : "";

const PROVIDER: Column = { title: "provider", short: "", cell: (r) => r.provider };
const MODEL: Column = { title: "model", short: "", cell: (r) => (r.source === "config" ? `${r.model} *` : r.model) };
const RATES: Column[] = [
  { title: "input", short: "in", cell: (r) => formatRate(r.input), right: true },
  { title: "output", short: "out", cell: (r) => formatRate(r.output), right: true },
  { title: "cache read", short: "read", cell: (r) => formatRate(r.cacheRead), right: true },
  { title: "write 5m", short: "w5m", cell: (r) => formatRate(r.cacheWrite5m), right: true },
  { title: "write 1h", short: "w1h", cell: (r) => formatRate(r.cacheWrite1h), right: true },
  { title: "long context", short: "long", cell: longContext },
];

const GAP = "  ";

function table(rows: readonly PriceListRow[], cols: Column[]): { lines: string[]; width: number } {
  const body = rows.map((r) => cols.map((c) => c.cell(r)));
  const w = cols.map((c, i) => Math.max(c.title.length, ...body.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (cols[i]!.right ? v.padStart(w[i]!) : v.padEnd(w[i]!))).join(GAP).trimEnd();
  return { lines: [line(cols.map((c) => c.title)), ...body.map(line)], width: w.reduce((a, b) => a + b, 0) + GAP.length * (w.length - 1) };
}

/** One model per block: its name, then its rates wrapped to the width. */
function stacked(rows: readonly PriceListRow[], rates: Column[], withProvider: boolean, width: number): string[] {
  const cut = (s: string) => (s.length > width ? `${s.slice(0, Math.max(width - 1, 1))}…` : s);
  const out: string[] = [];
  const provider: Column = { ...PROVIDER, short: "provider" };
  for (const r of rows) {
    out.push(cut(MODEL.cell(r)));
    let line = " ";
    for (const c of withProvider ? [provider, ...rates] : rates) {
      const v = c.cell(r);
      if (v === "") continue;
      const item = ` ${c.short} ${v}`;
      if (line.length + item.length > width && line.trim()) {
        out.push(line);
        line = " ";
      }
      line += item;
    }
    if (line.trim()) out.push(line);
  }
  return out;
}

/**
 * The table, fitted to `width` columns: the optional rates go first (long context, 1 h writes,
 * 5 min writes, cache reads); when even model, input and output do not fit, one block per model.
 * The provider column appears only when the rows span more than one provider.
 */
export function renderPriceTable(rows: readonly PriceListRow[], width = Number.POSITIVE_INFINITY): string[] {
  const withProvider = new Set(rows.map((r) => r.provider)).size > 1;
  let rates = RATES.filter((c) => c.title !== "long context" || rows.some((r) => r.longContext));
  for (;;) {
    const t = table(rows, [...(withProvider ? [PROVIDER] : []), MODEL, ...rates]);
    if (t.width <= width) return t.lines;
    if (rates.length <= 2) return stacked(rows, RATES, withProvider, width);
    rates = rates.slice(0, -1);
  }
}

export function terminalWidth(): number {
  const cols = process.stdout.columns ?? Number(process.env.COLUMNS);
  return Number.isFinite(cols) && cols > 0 ? cols : Number.POSITIVE_INFINITY;
}
