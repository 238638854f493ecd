// What Claude Code passes a statusLine command on stdin, reduced to the two fields the line uses.
// Claude Code sends one JSON object per refresh: session_id, transcript_path, cwd, model
// {id, display_name}, workspace {current_dir, project_dir}, version, cost {total_cost_usd, ...}
// and more. Anything else (empty, cut short, not JSON, fields missing or of the wrong type) leaves
// the fields unknown: the line then shows what it can without them. Pure.

export interface StatuslineInput {
  /** Claude Code's session id: the meter stores its X-Claude-Code-Session-Id header as `session`. */
  sessionId: string | null;
  /** Claude Code's own estimate of the session's cost, in US dollars (list prices, client side). */
  claudeCostUsd: number | null;
}

export const NO_INPUT: StatuslineInput = Object.freeze({ sessionId: null, claudeCostUsd: null });

/** Longer than any id a client sends; a bound so a hostile value is not carried into a query. */
const MAX_SESSION_ID = 200;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseInput(text: string | null): StatuslineInput {
  if (text === null || text.trim() === "") return NO_INPUT;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return NO_INPUT;
  }
  if (!isObject(doc)) return NO_INPUT;
  const id = typeof doc.session_id === "string" ? doc.session_id.trim() : "";
  const cost = isObject(doc.cost) ? doc.cost.total_cost_usd : undefined;
  return {
    sessionId: id !== "" && id.length <= MAX_SESSION_ID ? id : null,
    claudeCostUsd: typeof cost === "number" && Number.isFinite(cost) && cost >= 0 ? cost : null,
  };
}
