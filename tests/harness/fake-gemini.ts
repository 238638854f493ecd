// The Gemini API as the Gemini CLI meets it, on both of its hosts: generativelanguage.googleapis.com
// (an API key: `models/<m>:streamGenerateContent?alt=sse`) and cloudcode-pa.googleapis.com (a
// Google login: Code Assist's `v1internal:<method>`, each payload wrapped as {"response": ...},
// after the loadCodeAssist handshake that finds the user's tier and project). Streams go out
// chunk by chunk as `data: <json>\r\n\r\n` the way Google frames SSE: a thought, then the text,
// each chunk with the usage so far, the last with the full usageMetadata and finishReason STOP.
// The shapes are the ones the CLI parses (packages/core/src/code_assist/server.ts, converter.ts,
// setup.ts). Anything else is Google's JSON 404.

import type { Server } from "bun";

export interface GeminiUsage {
  promptTokenCount: number;
  cachedContentTokenCount: number;
  candidatesTokenCount: number;
  thoughtsTokenCount: number;
  totalTokenCount: number;
}

export function geminiUsage(u: { prompt: number; cached: number; candidates: number; thoughts: number }): GeminiUsage {
  return {
    promptTokenCount: u.prompt,
    cachedContentTokenCount: u.cached,
    candidatesTokenCount: u.candidates,
    thoughtsTokenCount: u.thoughts,
    totalTokenCount: u.prompt + u.candidates + u.thoughts,
  };
}

export interface SeenGeminiRequest {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface FakeGemini {
  port: number;
  requests: SeenGeminiRequest[];
  /** Model streams answered, on either host. */
  readonly streams: number;
  stop(): void;
}

export interface FakeGeminiOptions {
  cert: string;
  key: string;
  usage: GeminiUsage;
  /** The modelVersion the answer names. */
  modelVersion: string;
  text?: string;
  /** Code Assist's project for the login (loadCodeAssist). */
  project?: string;
}

const API_HOST = "generativelanguage.googleapis.com";
const CODE_ASSIST_HOST = "cloudcode-pa.googleapis.com";

/** The chunks of one streamed answer: usage grows as the model goes, complete in the last. */
function answerChunks(o: FakeGeminiOptions, responseId: string): Record<string, unknown>[] {
  const u = o.usage;
  const text = o.text ?? "Hi there!";
  const chunk = (parts: unknown[], usage: Record<string, unknown>, finishReason?: string) => ({
    candidates: [{ content: { role: "model", parts }, index: 0, ...(finishReason ? { finishReason } : {}) }],
    usageMetadata: usage,
    modelVersion: o.modelVersion,
    responseId,
  });
  const prompt = { promptTokenCount: u.promptTokenCount, cachedContentTokenCount: u.cachedContentTokenCount };
  return [
    chunk([{ text: "**Greeting the user**", thought: true }], { ...prompt, thoughtsTokenCount: u.thoughtsTokenCount, totalTokenCount: u.promptTokenCount + u.thoughtsTokenCount }),
    chunk([{ text: text.slice(0, 2) }], { ...prompt, candidatesTokenCount: 1, thoughtsTokenCount: u.thoughtsTokenCount, totalTokenCount: u.promptTokenCount + u.thoughtsTokenCount + 1 }),
    chunk([{ text: text.slice(2) }], { ...u, promptTokensDetails: [{ modality: "TEXT", tokenCount: u.promptTokenCount }], cacheTokensDetails: [{ modality: "TEXT", tokenCount: u.cachedContentTokenCount }] }, "STOP"),
  ];
}

/** A streamed body, one SSE event per chunk, sent as the chunks come (chunked, like Google's). */
function sse(payloads: unknown[]): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      const next = payloads.shift();
      if (next === undefined) return c.close();
      c.enqueue(enc.encode(`data: ${JSON.stringify(next)}\r\n\r\n`));
      await Bun.sleep(1);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "x-content-type-options": "nosniff" } });
}

function notFound(path: string): Response {
  return Response.json({ error: { code: 404, message: `Requested entity was not found: ${path}`, status: "NOT_FOUND" } }, { status: 404 });
}

export function startFakeGemini(opts: FakeGeminiOptions): FakeGemini {
  const requests: SeenGeminiRequest[] = [];
  let streams = 0;
  const project = opts.project ?? "fake-project-4242";

  /** Code Assist's answers to what the CLI asks before and around a turn. */
  const codeAssist = (method: string): Response => {
    switch (method) {
      case "loadCodeAssist":
        // A returning free-tier user: no onboarding needed.
        return Response.json({
          currentTier: { id: "free-tier", name: "Gemini Code Assist for individuals", userDefinedCloudaicompanionProject: false },
          allowedTiers: [{ id: "free-tier", name: "Gemini Code Assist for individuals", isDefault: true }],
          cloudaicompanionProject: project,
          gcpManaged: false,
        });
      case "onboardUser":
        return Response.json({ name: "operations/fake", done: true, response: { cloudaicompanionProject: { id: project, name: project } } });
      case "streamGenerateContent": {
        streams++;
        const id = `fake-response-${streams}`;
        return sse(answerChunks(opts, id).map((response) => ({ response, traceId: `trace-${streams}` })));
      }
      case "generateContent": {
        streams++;
        return Response.json({ response: answerChunks(opts, `fake-response-${streams}`).at(-1), traceId: `trace-${streams}` });
      }
      case "countTokens":
        return Response.json({ totalTokens: opts.usage.promptTokenCount });
      case "listExperiments":
        return Response.json({ experimentIds: [], flags: [] });
      case "retrieveUserQuota":
        return Response.json({ buckets: [] });
      default:
        // recordConversationOffered, recordCodeAssistMetrics, fetchAdminControls...: acknowledged.
        return Response.json({});
    }
  };

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: opts.cert, key: opts.key },
    async fetch(req) {
      const url = new URL(req.url);
      const headers = Object.fromEntries(req.headers);
      const host = headers.host ?? url.hostname;
      const text = await req.text();
      requests.push({ method: req.method, host, path: url.pathname + url.search, headers, body: text });
      if (host === CODE_ASSIST_HOST) {
        const m = /^\/v1internal:([A-Za-z]+)$/.exec(url.pathname);
        return m ? codeAssist(m[1]!) : notFound(url.pathname);
      }
      if (host === API_HOST && req.method === "POST") {
        const m = /^\/v1(?:beta|alpha)?\/models\/[^/:]+:([A-Za-z]+)$/.exec(url.pathname);
        if (m?.[1] === "streamGenerateContent") {
          streams++;
          return sse(answerChunks(opts, `fake-response-${streams}`));
        }
        if (m?.[1] === "generateContent") {
          streams++;
          return Response.json(answerChunks(opts, `fake-response-${streams}`).at(-1));
        }
        if (m?.[1] === "countTokens") return Response.json({ totalTokens: opts.usage.promptTokenCount });
      }
      return notFound(url.pathname);
    },
  });
  return {
    port: server.port!,
    requests,
    get streams() {
      return streams;
    },
    stop: () => server.stop(true),
  };
}
