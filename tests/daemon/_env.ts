// What the daemon end-to-end suites share beyond the meter itself (tests/harness/meter.ts): the
// request body they send, the name of a log line, and a config for a provider of one's own.

import { meterConfig } from "../harness/meter.ts";
import type { Sandbox } from "../harness/sandbox.ts";

/** config.toml sending api.anthropic.com and api.openai.com to a provider on `providerPort`, trusting `caPath` for them. */
export function configText(sb: Sandbox, caPath: string, providerPort: number): string {
  return meterConfig(sb, caPath, { "api.anthropic.com": providerPort, "api.openai.com": providerPort }, {});
}

/** The event name field of a log line, whatever the key is called. */
export function eventName(e: Record<string, unknown>): string {
  return String(e.event ?? e.evt ?? e.name ?? e.msg ?? "");
}

export const MSG_BODY = '{"model":"claude-sonnet-4-20250514","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}';
