// Chaos load from curl: one curl process per request (so one connection each) through the
// edge with --proxy, trusting the bundle. Prints one Outcome JSON line per request.
// Usage: bun tests/chaos/_curl-client.ts <edgePort> <bundle.pem> <loops> <sseEvents> <sseGapMs>   (SIGTERM: finish and exit)

import { body, complete, kindOf, now, type Outcome, parseArgs, stopOnSigterm, urlFor } from "./_load.ts";

const a = parseArgs(process.argv.slice(2));
const stopping = stopOnSigterm();
/** Printed after the body by `-w`: status and the provider's via header, on a line of their own. */
const TRAILER = "\n@@chaos %{http_code} %header{x-chaos-via} %header{x-chaos-id}";

async function one(id: string, i: number): Promise<Outcome> {
  const kind = kindOf(i);
  const start = now();
  const argv = ["curl", "-sS", "-N", "--max-time", "30", "--proxy", `http://127.0.0.1:${a.edgePort}`, "--cacert", a.bundle];
  argv.push("-A", `chaos/${id}`, "-H", `x-chaos-id: ${id}`, "-H", "content-type: application/json", "-H", "anthropic-version: 2023-06-01", "-H", "x-api-key: sk-ant-chaos");
  argv.push("--data", body(id), "-w", TRAILER, urlFor(kind, a));
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const cut = out.lastIndexOf("\n@@chaos ");
  const [status, via, echoed] = cut < 0 ? [] : out.slice(cut + 9).trim().split(" ");
  const text = cut < 0 ? out : out.slice(0, cut);
  const ok = code === 0 && status === "200" && echoed === id && complete(kind, id, text, a.sseEvents);
  return { id, client: "curl", kind, start, end: now(), ok, via: via || null, ...(ok ? {} : { error: `curl exit ${code}, status ${status ?? "none"}: ${err.trim().slice(0, 200)}` }) };
}

await Promise.all(
  Array.from({ length: a.loops }, async (_, loop) => {
    for (let i = 0; !stopping(); i++) console.log(JSON.stringify(await one(`curl-${loop}-${i}`, i)));
  }),
);
