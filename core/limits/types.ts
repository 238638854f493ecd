// What a provider said about an account's limits in one response: one observation per window.
// The types live with the other shared leaf types (core/usage/types.ts), which the store reads too.

export type { LimitKind, LimitObservation } from "../usage/types.ts";
