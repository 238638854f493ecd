// The price data this process prices with: the bundled data, or the file `pricing update`
// installed. A command reads the file once (usePriceDataFile); the daemon follows it
// (followPriceDataFile): an async look every second, off the hot path, so a running daemon
// takes up an update without a restart and a price lookup never touches the filesystem. A file
// that cannot be used never breaks pricing: the bundled data is used and the reason reported
// once, until the file changes again.

import { statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { BUNDLED, inspectPriceData, judgePriceData, type PriceData, type PriceDataState, unreadable } from "./data.ts";
import type { PriceDataInfo } from "./types.ts";

let state: PriceDataState = { data: BUNDLED, warning: null };

/** Prices from `file` as it is now (null: the bundled data only), for a process that does not follow it. */
export function usePriceDataFile(file: string | null): PriceDataState {
  state = file === null ? { data: BUNDLED, warning: null } : inspectPriceData(file);
  return state;
}

export interface PriceDataFollower {
  /** One look at the file now; the timer's looks are these. */
  check(): Promise<void>;
  stop(): void;
}

export interface FollowOptions {
  /** Default 1000 ms. */
  everyMs?: number;
  /** Called with the data first chosen and each time it changes, with the reason when the file could not be used. */
  onChange?: (state: PriceDataState) => void;
}

/** Identifies one version of the file: an atomic rename gives a new inode even within the same millisecond. */
const stampOf = (st: { ino: number; size: number; mtimeMs: number }) => `${st.ino}:${st.size}:${st.mtimeMs}`;
const missing = (err: unknown) => ((err as NodeJS.ErrnoException).code === "ENOENT" ? null : `error:${(err as NodeJS.ErrnoException).code}`);

/** Prices from `file` as it is now, then as it changes (an unref'd timer: it never keeps the process up). */
export function followPriceDataFile(file: string, opts: FollowOptions = {}): PriceDataFollower {
  let stamp: string | null;
  try {
    stamp = stampOf(statSync(file));
  } catch (err) {
    stamp = missing(err);
  }
  usePriceDataFile(file);
  opts.onChange?.(state);
  let looking: Promise<void> | null = null;
  const look = async () => {
    let now: string | null;
    try {
      now = stampOf(await stat(file));
    } catch (err) {
      now = missing(err);
    }
    if (now === stamp) return;
    stamp = now;
    let next: PriceDataState;
    try {
      next = now === null ? { data: BUNDLED, warning: null } : judgePriceData(file, await readFile(file, "utf8"));
    } catch (err) {
      next = unreadable(file, err);
    }
    state = next;
    opts.onChange?.(state);
  };
  const check = () => (looking ??= look().finally(() => (looking = null)));
  const timer = setInterval(() => void check(), opts.everyMs ?? 1000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

/** The data in use and why the installed file is not it. */
export function priceDataState(): PriceDataState {
  return state;
}

export function currentPriceData(): PriceData {
  return state.data;
}

/** What a person is told about some data: its version, date and age. */
export function priceDataInfo(now: Date = new Date(), data: PriceData = currentPriceData()): PriceDataInfo {
  const ageDays = Math.floor((now.getTime() - Date.parse(`${data.dataDate}T00:00:00Z`)) / 86_400_000);
  return { version: data.version, dataDate: data.dataDate, source: data.source, ageDays, origin: data.origin, from: data.from };
}
