// The steps of one connection's shell that no socket callback carries (sockets.ts guards those):
// timers and the answers of promises (a probe, a dial, a lookup). A bug in one, or a rejected
// promise, is reported and ends that connection alone through `end`; it never reaches the loop.

import { reportBug } from "../log/crash-guard.ts";

export interface ConnectionGuard {
  /** Carrying out its steps threw: the connection is ended and runs no more of them. */
  readonly broken: boolean;
  run(what: string, step: () => void): void;
  /**
   * `then` with the promise's value, as a guarded step. A value that arrives once the connection
   * is broken goes to `late` instead (a socket nobody can use any more, to close).
   */
  after<T>(what: string, p: Promise<T>, then: (value: T) => void, late?: (value: T) => void): void;
}

export function connectionGuard(end: () => void): ConnectionGuard {
  let broken = false;
  const broke = (what: string, err: unknown) => {
    if (broken) return;
    broken = true;
    reportBug("proxy.callback_error", err, { callback: what });
    end();
  };
  const run = (what: string, step: () => void) => {
    if (broken) return;
    try {
      step();
    } catch (err) {
      broke(what, err);
    }
  };
  return {
    get broken() {
      return broken;
    },
    run,
    after(what, p, then, late) {
      p.then(
        (value) => (broken ? late?.(value) : run(what, () => then(value))),
        (err) => broke(what, err),
      );
    },
  };
}
