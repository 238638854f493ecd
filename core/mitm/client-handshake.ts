// One client's TLS handshake with our leaf, as the daemon sees it: the raw records it sent (read
// only to tell, if the handshake fails, whether the client refused our certificate), how it
// ended, and the one verdict: established, or failed for a reason from the closed set.

import { type ClientTlsFailure, classifyClientTlsFailure, type HandshakeEnd, type HandshakeWatch, newWatch, watchBytes } from "../tls/client-failure.ts";

export class ClientHandshake {
  private watch: HandshakeWatch = newWatch();
  private helloAt: number | null = null;
  /** Bun's words for a failed handshake, if it gave any. */
  private errorText: string | null = null;
  /** The client's SNI named a host our CA may not sign for: the handshake fails for that reason. */
  private refusedSni: ClientTlsFailure | null = null;
  private reset = false;
  private settled = false;

  constructor(private readonly o: { now: () => number; timeoutMs: number }) {}

  /** The client's raw bytes, before TLS reads them. */
  see(bytes: Uint8Array): void {
    if (this.settled) return;
    this.watch = watchBytes(this.watch, bytes);
    if (this.watch.helloComplete) this.helloAt ??= this.o.now();
  }

  sniRefused(name: string, error: Error): void {
    this.refusedSni = { kind: "sni-refused", name, error: error.message };
  }

  handshakeError(err: Error | null | undefined): void {
    this.errorText = err?.message ?? null;
  }

  /** A close carrying ECONNRESET: the client reset the connection (a FIN mid-handshake is a handshake error). */
  closedBy(err: unknown): void {
    if ((err as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET") this.reset = true;
  }

  /** True the first time: the handshake is done and nothing more is watched. */
  established(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  /** Why it failed, the first time it ends without being established; null after. */
  failed(how: "closed" | "timeout"): ClientTlsFailure | null {
    if (this.settled) return null;
    this.settled = true;
    const end: HandshakeEnd["how"] = how === "closed" && this.reset ? "reset" : how;
    const msSinceHello = this.helloAt === null ? null : this.o.now() - this.helloAt;
    return this.refusedSni ?? classifyClientTlsFailure(this.watch, { how: end, errorText: this.errorText, msSinceHello, timeoutMs: this.o.timeoutMs });
  }
}
