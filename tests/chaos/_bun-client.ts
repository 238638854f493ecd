// Chaos load from Bun's fetch through the edge (`proxy`), trusting the test CA and the meter's
// CA (one bundle), a new connection per request. Prints one Outcome JSON line per request.
// Usage: bun tests/chaos/_bun-client.ts <edgePort> <bundle.pem> <loops> <sseEvents> <sseGapMs>   (SIGTERM: finish and exit)

import { readFileSync } from "node:fs";
import { bunRequest } from "./_bun-request.ts";
import { kindOf, parseArgs, stopOnSigterm } from "./_load.ts";

const a = parseArgs(process.argv.slice(2));
const stopping = stopOnSigterm();
const ca = readFileSync(a.bundle, "utf8");

await Promise.all(
  Array.from({ length: a.loops }, async (_, loop) => {
    for (let i = 0; !stopping(); i++) console.log(JSON.stringify(await bunRequest(a, ca, "bun", `bun-${loop}-${i}`, kindOf(i))));
  }),
);
