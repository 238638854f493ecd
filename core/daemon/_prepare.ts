// What the daemon settles before it listens: its ports, its CA and leaf issuer, its database.
// Each failure a person can fix becomes a DaemonStartError; anything else is a bug and is thrown
// as it is.

import type { Config } from "../config/index.ts";
import type { StatePaths } from "../paths.ts";
import { type Ports, resolvePorts, runningEdgePort } from "../ports/index.ts";
import { openStore, type Store, StoreError } from "../store/index.ts";
import { type Ca, createLeafIssuer, type LeafIssuer, loadOrCreateCa, loadOrCreateLeafKeys, TlsError } from "../tls/index.ts";
import { DaemonStartError } from "./errors.ts";

export function choosePorts(paths: StatePaths, config: Config): Ports {
  // The port our running edge holds is ours and is where shells point: a corrupt, deleted or
  // rewritten effective-ports.json is put right to it, never re-chosen around it.
  const chosen = resolvePorts(paths.effectivePorts, config, new Set(), runningEdgePort(paths.home));
  if (!chosen.ok) throw new DaemonStartError("ports", chosen.message);
  const { edge, internal, api } = chosen.ports;
  return { edge, internal, api };
}

export function loadTls(paths: StatePaths, config: Config): { ca: Ca; issuer: LeafIssuer } {
  let ca: Ca;
  let keys: ReturnType<typeof loadOrCreateLeafKeys>["keys"];
  try {
    ca = loadOrCreateCa(paths.home, { permittedDomains: config.tls.intercept_domains });
    keys = loadOrCreateLeafKeys(paths.leafKey).keys;
  } catch (err) {
    if (err instanceof TlsError) throw new DaemonStartError("tls", err.message, err.hint);
    throw err;
  }
  return { ca, issuer: createLeafIssuer(ca, { cacheSize: config.tls.leaf_cache_size, keys }) };
}

/** Opens (creating or migrating) db.sqlite; a file that is not ours is refused and left as it is. */
export function openCaptureStore(paths: StatePaths): Store {
  try {
    return openStore(paths.db);
  } catch (err) {
    if (err instanceof StoreError) throw new DaemonStartError("store", err.message, err.hint ?? `run \`halton-meter doctor\`; move ${paths.db} aside to start a fresh one (it is never deleted)`);
    throw err;
  }
}
