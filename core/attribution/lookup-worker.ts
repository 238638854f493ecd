// The daemon's attribution threads (core/attribution/lookup.ts). One kind of request finds the
// process behind a client connection and reads its own facts (/proc only); the other walks its
// folders for .haltonrc and .git. They run on two threads because only the second can hang (a
// cwd on a hung mount), and a hung walk must not hold the next client's process lookup.
// Every read here may be slow: that is why none of it runs on the loop that relays streams.

import { pidsForConnections } from "./proc-net.ts";
import { procView } from "./proc-view.ts";
import { readProcess, scanFolders } from "./project.ts";
import type { LookupReply, LookupRequest } from "./lookup.ts";

declare const self: Worker;

type ProcessRequest = Extract<LookupRequest, { op: "process" }>;

const fail = (id: number, err: unknown): LookupReply => ({ id, op: "error", message: err instanceof Error ? err.message : String(err) });

// A burst of new connections (a client opening several at once) queues several process lookups:
// they are answered together, from one read of /proc/net and one walk of /proc/<pid>/fd.
let batch: ProcessRequest[] = [];

function answerBatch(): void {
  const reqs = batch;
  batch = [];
  const view = procView();
  let pids: Array<number | null>;
  try {
    pids = pidsForConnections(reqs);
  } catch (err) {
    for (const r of reqs) self.postMessage(fail(r.id, err));
    return;
  }
  reqs.forEach((r, i) => {
    const pid = pids[i] ?? null;
    try {
      self.postMessage({ id: r.id, op: "process", pid, proc: pid === null ? null : readProcess(pid, view) } satisfies LookupReply);
    } catch (err) {
      self.postMessage(fail(r.id, err));
    }
  });
}

self.onmessage = (e: MessageEvent<LookupRequest>) => {
  const req = e.data;
  if (req.op === "process") {
    if (batch.push(req) === 1) setTimeout(answerBatch, 0);
    return;
  }
  const notes: string[] = [];
  let reply: LookupReply;
  try {
    reply = { id: req.id, op: "folders", folders: scanFolders(req.cwd, procView((why) => notes.push(why))), notes };
  } catch (err) {
    reply = fail(req.id, err);
  }
  self.postMessage(reply);
};
