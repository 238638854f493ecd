/**
 * Real TLS clients for the enforcement proof: each connects to 127.0.0.1:port sending
 * `host` as SNI, trusting only `caPath`, and says whether the handshake verified.
 */
import { readFileSync } from "node:fs";
import { connect } from "node:tls";
import { run } from "./_helpers.ts";

export interface Verdict {
  ok: boolean;
  detail: string;
}

export interface Target {
  host: string;
  port: number;
  caPath: string;
}

export async function curlClient({ host, port, caPath }: Target): Promise<Verdict> {
  const r = await run(["curl", "-sS", "--max-time", "10", "--cacert", caPath, "--resolve", `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`]);
  return { ok: r.code === 0 && r.stdout === "ok", detail: `exit ${r.code} ${r.stderr.trim()}` };
}

const NODE_SCRIPT = `
const tls = require("node:tls");
const [port, host, caPath] = process.argv.slice(1);
const s = tls.connect({ host: "127.0.0.1", port: Number(port), servername: host, ca: require("node:fs").readFileSync(caPath) }, () => {
  console.log("OK " + s.getPeerCertificate().subject.CN); s.end();
});
s.on("error", (e) => { console.log("ERR " + e.code + " " + e.message); process.exitCode = 1; });`;

export async function nodeClient({ host, port, caPath }: Target): Promise<Verdict> {
  const r = await run(["node", "-e", NODE_SCRIPT, String(port), host, caPath]);
  return { ok: r.code === 0 && r.stdout.startsWith("OK"), detail: `${r.stdout.trim()} ${r.stderr.trim()}` };
}

export function bunTlsClient({ host, port, caPath }: Target): Promise<Verdict> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port, servername: host, ca: readFileSync(caPath, "utf8") }, () => {
      resolve({ ok: s.authorized, detail: `authorized=${s.authorized}` });
      s.end();
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, detail: `${e.code ?? ""} ${e.message}` }));
  });
}

export async function bunFetchClient({ host, port, caPath }: Target): Promise<Verdict> {
  try {
    const res = await fetch(`https://127.0.0.1:${port}/`, {
      proxy: false,
      keepalive: false,
      tls: { ca: readFileSync(caPath, "utf8"), serverName: host },
    });
    const body = await res.text();
    return { ok: body === "ok", detail: `status ${res.status}` };
  } catch (e) {
    return { ok: false, detail: `${(e as NodeJS.ErrnoException).code ?? ""} ${String(e)}` };
  }
}

export async function opensslVerify(caPath: string, leafPath: string): Promise<Verdict> {
  const r = await run(["openssl", "verify", "-CAfile", caPath, leafPath]);
  return { ok: r.code === 0, detail: (r.stdout + r.stderr).trim() };
}

export const CLIENTS = { curl: curlClient, node: nodeClient, "bun tls.connect": bunTlsClient, "bun fetch": bunFetchClient };
