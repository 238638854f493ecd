// The daemon's query thread (core/api/queries.ts): its own read-only connection to the capture
// database, opened on the first query (and again if it ever fails to open), answering one
// query at a time. Errors go back as messages; nothing here may end the thread.

import { openStoreReadOnly, StoreError, type Store } from "../store/index.ts";
import { type Reply, type Request, runQuery } from "./queries.ts";

declare const self: Worker;

let store: Store | null = null;

self.onmessage = (e: MessageEvent<Request>) => {
  const { id, dbPath, op, args } = e.data;
  let reply: Reply;
  try {
    const s = (store ??= openStoreReadOnly(dbPath));
    // One read transaction: a query's parts (a summary and its breakdowns) see the same rows,
    // whatever the daemon's writer commits meanwhile on its own connection.
    reply = { id, ok: true, value: s.db.transaction(() => runQuery(s, op, args))() };
  } catch (err) {
    const se = err instanceof StoreError ? { code: err.code, hint: err.hint } : null;
    reply = { id, ok: false, store: se, message: err instanceof Error ? err.message : String(err) };
    // A connection that failed (I/O, a file moved or replaced) is opened afresh for the next query.
    if (!se && store) {
      try {
        store.close();
      } catch {}
      store = null;
    }
  }
  postMessage(reply);
};
