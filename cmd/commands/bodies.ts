import { existsSync, statSync } from "node:fs";
import { defineCommand } from "citty";
import { formatSize } from "../../core/capture/units.ts";
import { parseDuration } from "../../core/time/duration.ts";
import { bodiesStats, maintain, openStore, openStoreReadOnly, purgeBodies, type Store, StoreError } from "../../core/store/index.ts";
import { cliContext } from "../_context.ts";
import { EXIT, UserError } from "../_errors.ts";

/** The store if there is one (purging must not create an empty database just to empty it). */
function openExisting(path: string, readOnly = false): Store | null {
  if (!existsSync(path)) return null;
  try {
    return readOnly ? openStoreReadOnly(path) : openStore(path);
  } catch (err) {
    if (err instanceof StoreError && err.code === "missing") return null;
    if (err instanceof StoreError) throw new UserError(err.message, err.hint ?? undefined);
    throw err;
  }
}

function busy(err: unknown, what: string): never {
  const code = (err as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    throw new UserError(`the database stayed busy, so ${what} did not run`, "something holds a long transaction on db.sqlite (see `lsof`); try again in a moment");
  }
  throw err;
}

/** The newest kept body. core/store's bodiesStats reports only the oldest. */
function newestBodyAt(store: Store): number | null {
  return (store.db.query("SELECT MAX(created_at) AS newest FROM bodies").get() as { newest: number | null }).newest;
}

function when(ms: number | null, now: number): string {
  if (ms === null) return "-";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  const mins = Math.max(0, Math.round((now - ms) / 60_000));
  const ago = mins < 60 ? `${mins} min` : mins < 2880 ? `${Math.round(mins / 60)} h` : `${Math.round(mins / 1440)} days`;
  return `${local} (${ago} ago)`;
}

function fileBytes(path: string): number {
  let total = 0;
  for (const f of [path, `${path}-wal`]) if (existsSync(f)) total += statSync(f).size;
  return total;
}

const stats = defineCommand({
  meta: { name: "stats", description: "How many request/response bodies are kept, their size, oldest and newest" },
  args: { json: { type: "boolean", description: "Print JSON" } },
  run({ args }) {
    const { paths, config, term } = cliContext();
    const store = openExisting(paths.db, true);
    const now = Date.now();
    let s = { count: 0, bytes: 0, oldestAt: null as number | null, newestAt: null as number | null };
    if (store) {
      try {
        s = { ...bodiesStats(store), newestAt: newestBodyAt(store) };
      } catch (err) {
        busy(err, "stats");
      } finally {
        store.close();
      }
    }
    const capture = config.capture.body_capture;
    if (args.json) {
      term.print(JSON.stringify({ database: paths.db, ...s, body_capture: capture, body_max_bytes: config.capture.body_max_bytes }, null, 2));
      return EXIT.ok;
    }
    term.print(`bodies:  ${s.count} kept, ${formatSize(s.bytes)} of text`);
    term.print(`oldest:  ${when(s.oldestAt, now)}`);
    term.print(`newest:  ${when(s.newestAt, now)}`);
    term.print(`capture: ${capture ? "on" : "off"} in config.toml${capture ? "" : "; a project turns it on with `body_capture = on` in its .haltonrc"}`);
    return EXIT.ok;
  },
});

const purge = defineCommand({
  meta: { name: "purge", description: "Delete kept bodies (all of them, or those older than --older-than); the request rows stay" },
  args: {
    "older-than": { type: "string", description: "Only bodies older than this: 7d, 12h, 30m, 2w" },
    vacuum: { type: "boolean", description: "Then VACUUM to give the space back to the disk (blocks the daemon's writes while it runs)" },
  },
  run({ args }) {
    const { paths, term } = cliContext();
    let olderThanMs: number | undefined;
    if (args["older-than"] !== undefined) {
      const d = parseDuration(args["older-than"]);
      if (!d.ok) throw new UserError(`--older-than: ${d.message}`, "for example `halton-meter bodies purge --older-than 7d`", EXIT.usage);
      olderThanMs = d.ms;
    }
    const store = openExisting(paths.db);
    if (!store) {
      term.info(`nothing to purge: there is no database at ${paths.db} yet`);
      return EXIT.ok;
    }
    try {
      const before = fileBytes(paths.db);
      if (args.vacuum) term.warn("VACUUM rewrites db.sqlite; until it ends the daemon keeps new rows queued in memory instead of writing them");
      let deleted = 0;
      let left = { count: 0, bytes: 0 };
      try {
        deleted = purgeBodies(store, { olderThanMs, vacuum: args.vacuum }).deleted;
        if (args.vacuum) maintain(store, { truncateAboveBytes: 0 });
        left = bodiesStats(store);
      } catch (err) {
        busy(err, args.vacuum ? "the purge and VACUUM" : "the purge");
      }
      const scope = olderThanMs === undefined ? "" : ` older than ${args["older-than"]}`;
      term.success(`deleted ${deleted} bod${deleted === 1 ? "y" : "ies"}${scope}; ${left.count} kept (${formatSize(left.bytes)})`);
      if (args.vacuum) term.success(`vacuumed: db.sqlite and its WAL went from ${formatSize(before)} to ${formatSize(fileBytes(paths.db))}`);
      else if (deleted > 0) term.info("the file keeps its size (SQLite reuses the freed pages); `--vacuum` gives the space back");
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
});

export default defineCommand({
  meta: { name: "bodies", description: "Captured request/response bodies: how much is kept, and purging them" },
  subCommands: { stats, purge },
});
