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
    store ??= openStoreReadOnly(dbPath);
    reply = { id, ok: true, value: runQuery(store, op, args) };
  } catch (err) {
    const se = err instanceof StoreError ? { code: err.code, hint: err.hint } : null;
    reply = { id, ok: false, store: se, message: err instanceof Error ? err.message : String(err) };
  }
  postMessage(reply);
};
