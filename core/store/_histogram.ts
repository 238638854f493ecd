// Latency histograms kept in the daily rollup. Bins are exact below 256 ms, then 256 per power of
// two (each under 1/256 of its value wide): merging days is adding counts, and the bin that holds a
// percentile is narrow enough that its exact value comes cheaply from the latency index. The bin
// numbers are stored on disk: changing these constants needs a migration that rebuilds the rollup.

const EXACT = 256;
const PER_OCTAVE = 256;
const OCTAVE_SHIFT = 8; // log2(PER_OCTAVE)
const FIRST_OCTAVE = 8; // log2(EXACT)
const MAX_EXPONENT = 40; // ~35 years in ms: nothing real is slower

export const BIN_COUNT = EXACT + PER_OCTAVE * (MAX_EXPONENT - FIRST_OCTAVE + 1);

export function binOf(ms: number): number {
  if (ms < EXACT) return ms < 0 ? 0 : Math.floor(ms);
  const exponent = Math.min(Math.floor(Math.log2(ms)), MAX_EXPONENT);
  if (exponent === MAX_EXPONENT && ms >= 2 ** (MAX_EXPONENT + 1)) return BIN_COUNT - 1;
  const shift = exponent - OCTAVE_SHIFT;
  const sub = Math.floor(ms / 2 ** shift) - PER_OCTAVE;
  return EXACT + (exponent - FIRST_OCTAVE) * PER_OCTAVE + sub;
}

/** The values a bin holds: [lo, hi). Bin 0 also holds negative latencies (a clock stepped back). */
export function binRange(bin: number): [lo: number, hi: number] {
  if (bin < EXACT) return [bin === 0 ? Number.MIN_SAFE_INTEGER : bin, bin + 1];
  const exponent = FIRST_OCTAVE + Math.floor((bin - EXACT) / PER_OCTAVE);
  const width = 2 ** (exponent - OCTAVE_SHIFT);
  const lo = (PER_OCTAVE + ((bin - EXACT) % PER_OCTAVE)) * width;
  return [lo, bin === BIN_COUNT - 1 ? Number.MAX_SAFE_INTEGER : lo + width];
}

/** A dense histogram: count per bin. */
export type Histogram = Float64Array;

export const newHistogram = (): Histogram => new Float64Array(BIN_COUNT);

/** A histogram while folding rows: bin to count, only the bins in use. */
export type SparseHistogram = Map<number, number>;

/** On disk: little-endian uint32 pairs (bin, count), bins ascending. */
export function encodeHistogram(h: SparseHistogram): Uint8Array {
  const bins = [...h.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(bins.length * 8);
  const view = new DataView(out.buffer);
  bins.forEach((bin, i) => {
    view.setUint32(i * 8, bin, true);
    view.setUint32(i * 8 + 4, h.get(bin)!, true);
  });
  return out;
}

/** Adds an encoded histogram into a sparse one. */
export function addEncodedSparse(into: SparseHistogram, blob: Uint8Array | null): void {
  if (!blob) return;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let at = 0; at + 8 <= blob.byteLength; at += 8) {
    const bin = view.getUint32(at, true);
    into.set(bin, (into.get(bin) ?? 0) + view.getUint32(at + 4, true));
  }
}

/** Adds an encoded histogram into a dense one. */
export function addEncoded(into: Histogram, blob: Uint8Array | null): void {
  if (!blob) return;
  if (blob.byteOffset % 4 === 0 && LITTLE_ENDIAN) {
    const pairs = new Uint32Array(blob.buffer, blob.byteOffset, blob.byteLength >> 2);
    for (let i = 0; i + 1 < pairs.length; i += 2) into[pairs[i]!]! += pairs[i + 1]!;
    return;
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let at = 0; at + 8 <= blob.byteLength; at += 8) into[view.getUint32(at, true)]! += view.getUint32(at + 4, true);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Where the nearest-rank percentile falls: its bin and how many values lie in lower bins. */
export function rankBin(h: Histogram, rank: number): { bin: number; below: number } | null {
  let seen = 0;
  for (let bin = 0; bin < h.length; bin++) {
    const n = h[bin]!;
    if (seen + n >= rank && n > 0) return { bin, below: seen };
    seen += n;
  }
  return null;
}
