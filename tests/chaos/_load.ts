// What every chaos client sends and how it judges the answer, shared by the Bun and curl
// drivers (the Node driver, plain JavaScript, mirrors it). One request per new connection:
// a "new request" is what the suite counts, and keep-alive races are not what it is about.

export type Kind = "json" | "sse" | "sse-reset";

/** One line a client prints per finished request. Times are epoch ms (sub-ms precision). */
export interface Outcome {
  id: string;
  client: string;
  kind: Kind;
  start: number;
  end: number;
  /** The whole answer arrived and it was ours. */
  ok: boolean;
  /** Which process reached the provider: "daemon" (metered), "edge" (tunnelled), or null. */
  via: string | null;
  error?: string;
}

export interface LoadArgs {
  edgePort: number;
  bundle: string;
  loops: number;
  sseEvents: number;
  sseGapMs: number;
}

export const HOST = "api.anthropic.com";
export const SSE_RESET_AFTER = 2;
export const now = () => performance.timeOrigin + performance.now();

export function parseArgs(argv: string[]): LoadArgs {
  const [edgePort, bundle, loops, sseEvents, sseGapMs] = argv;
  return { edgePort: Number(edgePort), bundle: bundle!, loops: Number(loops), sseEvents: Number(sseEvents), sseGapMs: Number(sseGapMs) };
}

/** SIGTERM: start no new request, let the ones in flight finish, then exit. */
export function stopOnSigterm(): () => boolean {
  let stopping = false;
  process.on("SIGTERM", () => {
    stopping = true;
  });
  return () => stopping;
}

/** Every 7th request asks the provider to reset mid-stream; the rest alternate JSON and SSE. */
export function kindOf(i: number): Kind {
  if (i % 7 === 6) return "sse-reset";
  return i % 2 === 0 ? "json" : "sse";
}

export function urlFor(kind: Kind, a: Pick<LoadArgs, "sseEvents" | "sseGapMs">): string {
  if (kind === "json") return `https://${HOST}/v1/messages`;
  const reset = kind === "sse-reset" ? `&reset=${SSE_RESET_AFTER}` : "";
  return `https://${HOST}/v1/messages?sse=${a.sseEvents}&gap=${a.sseGapMs}${reset}`;
}

export const body = (id: string) => JSON.stringify({ model: "claude-sonnet-4-20250514", max_tokens: 16, stream: true, messages: [{ role: "user", content: id }] });

/** Did the body that arrived answer request `id` completely? */
export function complete(kind: Kind, id: string, text: string, sseEvents: number): boolean {
  if (kind === "json") {
    try {
      return (JSON.parse(text) as { id?: string }).id === `msg_${id}`;
    } catch {
      return false;
    }
  }
  return text.includes(`"msg_${id}"`) && text.includes("event: message_stop") && (text.match(/event: content_block_delta/g)?.length ?? 0) === sseEvents;
}
