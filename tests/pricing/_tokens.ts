import type { TokenCounts } from "../../core/usage/types.ts";

export function tokens(partial: Partial<TokenCounts>): TokenCounts {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0, ...partial };
}
