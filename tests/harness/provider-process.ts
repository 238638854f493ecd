// The fake Anthropic provider (./messages.ts) in a process of its own, so that nothing the meter
// or the clients being timed do can touch its event loop: the chaos suite and the bench run it.
// Records nothing (a run sends too much to keep). Prints one JSON line: {"port": N}.
// Usage: bun tests/harness/provider-process.ts <cert.pem> <key.pem> [--via]
//   --via   every answer says which process reached it (x-chaos-via), at a /proc lookup per connection

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeProvider } from "./fake-provider.ts";
import { messagesScript } from "./messages.ts";

/** The argv that starts it, for Bun.spawn (the certificates as makeTestCerts wrote them). */
export function providerProcessArgv(certFile: string, keyFile: string, opts: { via?: boolean } = {}): string[] {
  return [process.execPath, join(import.meta.dir, "provider-process.ts"), certFile, keyFile, ...(opts.via ? ["--via"] : [])];
}

if (import.meta.main) {
  const [certFile, keyFile] = process.argv.slice(2);
  if (!certFile || !keyFile) throw new Error("usage: bun tests/harness/provider-process.ts <cert.pem> <key.pem> [--via]");
  const fake = startFakeProvider({
    cert: readFileSync(certFile, "utf8"),
    key: readFileSync(keyFile, "utf8"),
    record: false,
    script: messagesScript({ via: process.argv.includes("--via") }),
  });
  console.log(JSON.stringify({ port: fake.port }));
}
