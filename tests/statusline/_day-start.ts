// Prints, for each instant given, SQLite's local day start (the status line's) and JavaScript's,
// in this process's TZ: libc reads TZ once per process, so each zone needs its own process.

import { localDayStart } from "../../core/statusline/facts.ts";
import { openStore } from "../../core/store/index.ts";

const store = openStore(":memory:");
const out = process.argv.slice(2).map((arg) => {
  const at = Number(arg);
  const js = new Date(at);
  js.setHours(0, 0, 0, 0);
  return { at, sqlite: localDayStart(store, at), js: js.getTime() };
});
store.close();
console.log(JSON.stringify(out));
