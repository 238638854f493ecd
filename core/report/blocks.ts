// Spend in 5-hour billing blocks. Where the provider said when its window resets, the block is
// that window ("reported"); elsewhere it is estimated the way ccusage does (its
// _session-blocks.ts, identifySessionBlocks): from the first request's hour, five hours long,
// with "gap" blocks where nothing ran for longer than that. Pure: the time comes in as `nowMs`.
// One call is one account's window: pass that account's entries and resets.

export interface BlockEntry {
  /** startedAt, epoch ms. */
  at: number;
  costMicros: number;
  /** Input + output + cache, whatever the caller sums. */
  tokens: number;
  /** Requests this entry stands for; 1 when absent. */
  requests?: number;
}

export interface BlockBurn {
  tokensPerMinute: number;
  costMicrosPerHour: number;
  /** The totals so far plus the rate over the time left to the block's end, rounded. */
  projectedCostMicros: number;
  projectedTokens: number;
}

export interface Block {
  start: number;
  /** Exclusive. A reported window whose reset later moved ends where the later window begins. */
  end: number;
  kind: "reported" | "estimated" | "gap";
  /** now is in [start, end); never a gap. */
  active: boolean;
  /** The first and last entries' times; null for a block with none. */
  first: number | null;
  last: number | null;
  requests: number;
  tokens: number;
  costMicros: number;
  /** Active blocks whose entries span some time (two at different times) only. */
  burn?: BlockBurn;
}

export interface BlocksOptions {
  nowMs: number;
  /** Epoch ms resets of the provider's 5-hour window, as seen (repeats welcome). */
  reportedResets?: readonly number[];
  /** 5 hours. At least an hour: estimated blocks start on the hour. */
  blockMs?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Providers round their reset times; two within this are the same window's. */
const RESET_TOLERANCE_MS = MINUTE;

interface Span {
  start: number;
  end: number;
}

/** Distinct resets, ascending; of resets within a minute of the first of their run, the latest stands. */
function distinctResets(resets: readonly number[]): number[] {
  const out: number[] = [];
  let runStart = -Infinity;
  for (const r of resets.filter(Number.isFinite).sort((a, b) => a - b)) {
    if (r - runStart <= RESET_TOLERANCE_MS) {
      out[out.length - 1] = r;
    } else {
      out.push(r);
      runStart = r;
    }
  }
  return out;
}

/**
 * [R - 5h, R) per reset. Where two overlap (the reset moved), the later wins its whole window
 * and the earlier ends where it begins, so no time (and no entry) is in two.
 */
function reportedWindows(resets: readonly number[], blockMs: number): Span[] {
  const distinct = distinctResets(resets);
  return distinct.map((r, i) => {
    const next = distinct[i + 1];
    return { start: r - blockMs, end: next === undefined ? r : Math.min(r, next - blockMs) };
  });
}

const floorToHour = (ms: number): number => Math.floor(ms / HOUR) * HOUR;

export function blocksOf(entries: readonly BlockEntry[], opts: BlocksOptions): Block[] {
  const blockMs = opts.blockMs ?? 5 * HOUR;
  const windows = reportedWindows(opts.reportedResets ?? [], blockMs);
  const inWindow: BlockEntry[][] = windows.map(() => []);
  const estimated: Array<Span & { entries: BlockEntry[] }> = [];

  const sorted = entries
    .filter((e) => [e.at, e.costMicros, e.tokens, e.requests ?? 1].every(Number.isFinite))
    .sort((a, b) => a.at - b.at);
  let w = 0; // the first reported window that ends after the entry
  for (const e of sorted) {
    while (w < windows.length && windows[w]!.end <= e.at) w++;
    const window = windows[w];
    if (window !== undefined && window.start <= e.at) {
      inWindow[w]!.push(e);
      continue;
    }
    const open = estimated[estimated.length - 1];
    // Blocks are half-open, so an entry at exactly start + 5h opens the next (ccusage keeps it).
    // ccusage also closes a block when an entry comes more than 5h after the previous one;
    // inside a block no more than 5h long that cannot happen, so it shows only as a gap below.
    if (open !== undefined && e.at < open.end) {
      open.entries.push(e);
      continue;
    }
    // Never reaching back into the block or reported window before, nor on into the next window.
    const start = Math.max(floorToHour(e.at), open?.end ?? -Infinity, windows[w - 1]?.end ?? -Infinity);
    estimated.push({ start, end: Math.min(start + blockMs, window?.start ?? Infinity), entries: [e] });
  }

  const filled = [
    ...windows.map((span, i) => block(span, "reported", inWindow[i]!, opts.nowMs)),
    ...estimated.map((b) => block(b, "estimated", b.entries, opts.nowMs)),
  ].sort((a, b) => a.start - b.start);
  return withGaps(filled, blockMs);
}

function block(span: Span, kind: "reported" | "estimated", entries: readonly BlockEntry[], nowMs: number): Block {
  let requests = 0;
  let tokens = 0;
  let costMicros = 0;
  for (const e of entries) {
    requests += e.requests ?? 1;
    tokens += e.tokens;
    costMicros += e.costMicros;
  }
  const first = entries[0]?.at ?? null;
  const last = entries[entries.length - 1]?.at ?? null;
  // ccusage also asks that the last entry be within 5h of now: an estimated block starts at or
  // before its first entry and lasts no more than 5h, so being before its end implies that.
  const active = span.start <= nowMs && nowMs < span.end;
  const out: Block = { start: span.start, end: span.end, kind, active, first, last, requests, tokens, costMicros };
  if (active && first !== null && last !== null && last > first) {
    out.burn = burnOf(out, last - first, span.end - nowMs);
  }
  return out;
}

/** Rates over first..last entry; the projection adds rate * time left, from the unrounded rate. */
function burnOf(b: Block, spanMs: number, remainingMs: number): BlockBurn {
  const tokensPerMs = b.tokens / spanMs;
  const costPerMs = b.costMicros / spanMs;
  return {
    tokensPerMinute: b.tokens / (spanMs / MINUTE),
    costMicrosPerHour: Math.round(costPerMs * HOUR),
    projectedCostMicros: Math.round(b.costMicros + costPerMs * remainingMs),
    projectedTokens: Math.round(b.tokens + tokensPerMs * remainingMs),
  };
}

/**
 * A gap block between two blocks when nothing ran for more than a block's length between them
 * (ccusage's rule), covering the time neither covers (ccusage's runs from the last entry + 5h
 * to the next entry, overlapping the next block; this one tiles). A reported window with no entries is taken
 * to have seen its last and first activity at its start (the provider's window began with a request).
 */
function withGaps(blocks: readonly Block[], blockMs: number): Block[] {
  const out: Block[] = [];
  for (const b of blocks) {
    const before = out[out.length - 1];
    if (before !== undefined && (b.first ?? b.start) - (before.last ?? before.start) > blockMs && b.start > before.end) {
      out.push({ start: before.end, end: b.start, kind: "gap", active: false, first: null, last: null, requests: 0, tokens: 0, costMicros: 0 });
    }
    out.push(b);
  }
  return out;
}
