// The daemon's `GET /health` answer and its one reader. The CLI's raw loopback reads, the typed API
// client and the edge's probe all judge a body with readHealth, so they agree on what "healthy" is.
// Dependency-free and environment-neutral: the edge binary bundles it, and so does the dashboard.
// The verdict rests on `status` alone: a detail of the wrong shape is left out of the answer, never
// a reason to call a working daemon down (the edge would stop metering, the watchdog restart it).

export interface TlsBypass {
  /** `pid N`, or the client's address where /proc could not tell. */
  process: string;
  host: string;
  /** ISO time the bypass ends (a daemon restart ends it sooner). */
  until: string;
  reason: string;
}

/** The daemon's capture writer since it started. */
export interface CaptureHealth {
  /** Rows waiting to be written. */
  queued: number;
  committed: number;
  /** Rows lost: beyond [capture] queue_max_rows while the store could not be written, or refused by SQLite. */
  dropped: number;
  failed_flushes: number;
  /** Why writing fails right now (a full disk, a read-only file); null while writes succeed. */
  last_error: string | null;
}

export interface Health {
  status: "ok";
  /** The daemon always sends version, pid and uptime_s; a bare `{"status":"ok"}` is still healthy. */
  version?: string;
  pid?: number;
  uptime_s?: number;
  /** Client processes the daemon tunnels raw because they refused its certificate; empty when none are listed. */
  tls_bypass: TlsBypass[];
  /** Absent from a process without a capture writer, and from older daemons. */
  capture?: CaptureHealth;
}

export type HealthError =
  /** Not JSON: perhaps only cut short, while the connection is still open. */
  | "not-json"
  /** JSON, but no health answer: not an object with a string `status`. */
  | "not-health"
  /** A health answer whose status is not "ok". */
  | "not-ok";

export type HealthRead = { ok: true; health: Health } | { ok: false; error: HealthError; why: string };

type Fields = Record<string, unknown>;

const isFields = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function tlsBypass(v: unknown): TlsBypass[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((b: unknown) =>
    isFields(b) && typeof b.process === "string" && typeof b.host === "string" && typeof b.until === "string" && typeof b.reason === "string"
      ? [{ process: b.process, host: b.host, until: b.until, reason: b.reason }]
      : [],
  );
}

function capture(v: unknown): CaptureHealth | undefined {
  if (!isFields(v) || !isCount(v.queued) || !isCount(v.committed) || !isCount(v.dropped) || !isCount(v.failed_flushes)) return undefined;
  if (v.last_error !== null && typeof v.last_error !== "string") return undefined;
  return { queued: v.queued, committed: v.committed, dropped: v.dropped, failed_flushes: v.failed_flushes, last_error: v.last_error };
}

/** A decoded /health body (what `Response.json()` gives) as a Health answer, or why it is not one. */
export function readHealth(value: unknown): HealthRead {
  if (!isFields(value) || typeof value.status !== "string") return { ok: false, error: "not-health", why: "/health answered JSON that is not a health answer" };
  if (value.status !== "ok") return { ok: false, error: "not-ok", why: `/health says ${JSON.stringify(value.status)}` };
  const c = capture(value.capture);
  return {
    ok: true,
    health: {
      status: "ok",
      ...(typeof value.version === "string" && { version: value.version }),
      ...(isCount(value.pid) && { pid: value.pid }),
      ...(isCount(value.uptime_s) && { uptime_s: value.uptime_s }),
      tls_bypass: tlsBypass(value.tls_bypass),
      ...(c && { capture: c }),
    },
  };
}

/** A /health body's text as a Health answer, or why it is not one. Never throws. */
export function parseHealth(body: string): HealthRead {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, error: "not-json", why: "/health answered something that is not JSON" };
  }
  return readHealth(value);
}

/** A body read so far over a socket: undefined while it may only be cut short (the peer has not closed). */
export function parsePartialHealth(body: string, closed: boolean): HealthRead | undefined {
  const read = parseHealth(body);
  return !read.ok && read.error === "not-json" && !closed ? undefined : read;
}
