// Child process for the kill -9 test: enqueues rows forever and prints "committed <n>" after each
// commit. The parent kills it with SIGKILL at some moment and checks every reported row survived.

import { createCaptureWriter, openStore } from "../../core/store/index.ts";
import { makeRow } from "./_fixtures.ts";

const store = openStore(process.argv[2]!);
const writer = createCaptureWriter(store, {
  flushIntervalMs: 5,
  onCommit: (_batch, total) => process.stdout.write(`committed ${total}\n`),
  onError: (err) => process.stderr.write(`${err.message}\n`),
});
let next = 0;
setInterval(() => {
  for (let i = 0; i < 50; i++) writer.enqueue(makeRow(next++));
}, 1);
