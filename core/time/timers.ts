// Timers passed in, so that what waits can be tested by moving time by hand.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real ones; `unref`: a pending timer does not keep the process alive. */
export function realTimers(opts: { unref?: boolean } = {}): Timers {
  return {
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms);
      if (opts.unref) t.unref();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as Timer),
  };
}
