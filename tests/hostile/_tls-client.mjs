// Hostile bytes inside TLS, run under Node (its tls.connect({socket}) layers TLS over a CONNECT
// tunnel). Each case: a new connection to `port`, CONNECT api.anthropic.com:443, a TLS handshake
// trusting only our CA, then exact bytes in steps; it records what came back and whether the
// daemon closed. With `raw`, no TLS: the steps' bytes follow the CONNECT as they are. A failed
// handshake makes the daemon tunnel the calling process raw from then on (its TLS bypass is kept
// per process): run such a case in a Node process of its own.
// Usage: node tests/hostile/_tls-client.mjs < cases.json   (prints one JSON line a case)

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";

const KEEP = 256 * 1024;

/** Runs one case; resolves to its outcome, never rejects. */
function runCase(c) {
  return new Promise((resolve) => {
    const hash = createHash("sha256");
    let kept = [];
    let keptBytes = 0;
    let length = 0;
    let closedByPeer = false;
    let settled = false;
    let tlsSock = null;
    const waiters = [];
    const done = (extra = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tlsSock?.destroy();
      raw.destroy();
      const got = Buffer.concat(kept);
      resolve({ name: c.name, length, sha256: hash.digest("hex"), head: got.toString("base64"), closed: closedByPeer, ...extra });
    };
    const timer = setTimeout(() => done({ timedOut: true }), c.timeoutMs ?? 8000);
    const seen = () => Buffer.concat(kept).toString("latin1");
    const raw = net.connect(c.port, "127.0.0.1", () => {
      raw.setNoDelay(true);
      raw.write(`CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n`);
    });
    raw.on("error", (e) => {
      // A server that closes with our bytes unread resets the connection: that is a close too.
      if (e.code === "ECONNRESET" || e.code === "EPIPE") {
        closedByPeer = true;
        return done({ reset: true });
      }
      done({ error: `tcp: ${e.message}` });
    });
    let connectHead = Buffer.alloc(0);
    const onConnectData = (d) => {
      connectHead = Buffer.concat([connectHead, d]);
      const i = connectHead.indexOf("\r\n\r\n");
      if (i < 0) return;
      raw.removeListener("data", onConnectData);
      const line = connectHead.subarray(0, connectHead.indexOf("\r\n")).toString("latin1");
      if (!line.startsWith("HTTP/1.1 200")) return done({ error: `CONNECT answered ${line}` });
      const early = connectHead.subarray(i + 4);
      if (c.raw) return startRaw(early);
      startTls();
    };
    raw.on("data", onConnectData);

    // No TLS of our own: the steps' bytes go out as they are (garbage where a ClientHello belongs).
    function startRaw(early) {
      const take = (d) => {
        length += d.length;
        hash.update(d);
        if (keptBytes < KEEP) {
          kept.push(d.subarray(0, KEEP - keptBytes));
          keptBytes += Math.min(d.length, KEEP - keptBytes);
        }
      };
      if (early.length) take(early);
      raw.on("data", take);
      raw.on("end", () => {
        closedByPeer = true;
        done();
      });
      raw.on("close", () => {
        closedByPeer = true;
        done();
      });
      for (const s of c.steps) if (s.send !== undefined) raw.write(Buffer.from(s.send, "base64"));
      if (c.after === "abort") done({ aborted: true });
    }

    function startTls() {
      tlsSock = tls.connect({ socket: raw, servername: c.servername ?? "api.anthropic.com", ca: readFileSync(c.ca), ALPNProtocols: ["http/1.1"] });
      tlsSock.on("data", (d) => {
        length += d.length;
        hash.update(d);
        if (keptBytes < KEEP) {
          kept.push(d.subarray(0, KEEP - keptBytes));
          keptBytes += Math.min(d.length, KEEP - keptBytes);
        }
        for (const w of waiters.splice(0)) w();
      });
      tlsSock.on("end", () => {
        closedByPeer = true;
        done();
      });
      tlsSock.on("close", () => {
        closedByPeer = true;
        done();
      });
      tlsSock.on("error", (e) => {
        if (e.code === "ECONNRESET" || e.code === "EPIPE") {
          closedByPeer = true;
          return done({ reset: true });
        }
        done({ error: `tls: ${e.message}` });
      });
      tlsSock.on("secureConnect", async () => {
        for (const s of c.steps) {
          if (settled) return;
          if (s.send !== undefined) tlsSock.write(Buffer.from(s.send, "base64"));
          else if (s.until !== undefined) await new Promise((r) => (seen().includes(s.until) ? r() : waiters.push(() => seen().includes(s.until) && r())));
          else if (s.waitMs !== undefined) await new Promise((r) => setTimeout(r, s.waitMs));
          else if (s.untilLength !== undefined) await new Promise((r) => {
            const check = () => (length >= s.untilLength ? r() : waiters.push(check));
            check();
          });
        }
        // "close": wait for the daemon to end the connection; "abort": the client walks away.
        if (c.after === "abort") done({ aborted: true });
      });
    }
  });
}

const input = [];
for await (const chunk of process.stdin) input.push(chunk);
const cases = JSON.parse(Buffer.concat(input).toString("utf8"));
for (const c of cases) process.stdout.write(`${JSON.stringify(await runCase(c))}\n`);
