/**
 * Glue for Bun's server-side TLS on an accepted socket (verified on Bun 1.4.4, see
 * tests/tls/bun-sni.test.ts): `socket.upgradeTLS({ isServer: true, tls, socket })` where
 * `socket.serverName(server, name, handle)` is called during the handshake with the client's
 * SNI and must return the *native* context, i.e. `tls.createSecureContext(...).context`.
 * Returning undefined/null falls back to `tls.cert`/`tls.key` (a failed handshake if absent);
 * returning false (or throwing) aborts the handshake. No SNI at all: the handler is not called.
 */
import type { LeafIssuer } from "./leaf.ts";
import { TlsError } from "./errors.ts";

/** ALPN in wire format (length-prefixed). A plain "http/1.1" string is read as wire format and breaks ALPN. */
export const ALPN_HTTP1_ONLY: Buffer = Buffer.from("\x08http/1.1", "latin1");

/** The value Bun's serverName handler passes through to BoringSSL (opaque to us). */
export type NativeSecureContext = unknown;

/**
 * A `serverName` handler for `upgradeTLS` issuing leaves from `issuer`. A host the issuer
 * refuses aborts the handshake (false) after `onRefused` hears why; other errors are bugs.
 */
export function sniHandler(issuer: LeafIssuer, onRefused: (name: string, error: TlsError) => void = () => {}) {
  return function serverName(_server: unknown, name: string): NativeSecureContext | false {
    try {
      return issuer.secureContextFor(name).context;
    } catch (e) {
      if (!(e instanceof TlsError)) throw e;
      onRefused(name, e);
      return false;
    }
  };
}

/** Bun's socket handlers plus the undocumented server-side SNI hook. */
export interface ServerTlsHandlers<T> extends Bun.SocketHandler<T> {
  serverName?(server: unknown, name: string, handle: { resumeSNI(context: NativeSecureContext, failed: boolean): void }): unknown;
}

/**
 * Typed wrapper over `socket.upgradeTLS({ isServer: true, ... })` (bun-types lacks `isServer`
 * and `serverName`). Returns `[raw, tls]`: the listener's own `data` handler keeps receiving
 * the raw ciphertext, so it must ignore data once the socket is upgraded.
 */
export function upgradeToServerTls<T>(
  socket: Bun.Socket<T>,
  opts: { tls: Bun.TLSOptions; socket: ServerTlsHandlers<T>; data?: T },
): [raw: Bun.Socket<T>, tls: Bun.Socket<T>] {
  return socket.upgradeTLS({ isServer: true, ...opts } as Bun.TLSUpgradeOptions<T>);
}
