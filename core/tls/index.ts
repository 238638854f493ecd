export { TlsError, isTlsError, type TlsErrorKind } from "./errors.ts";
export { loadOrCreateCa, CA_CERT_FILE, CA_KEY_FILE, type Ca, type LoadCaOptions } from "./ca.ts";
export { createLeafIssuer, type Leaf, type LeafIssuer, type LeafIssuerOptions } from "./leaf.ts";
export { loadOrCreateLeafKeys } from "./leaf-key.ts";
export { isPermittedHost, normaliseHost } from "./host.ts";
export {
  BUNDLE_ENV_VARS,
  BUNDLE_MARKER,
  SYSTEM_BUNDLE_CANDIDATES,
  countPemCerts,
  envBlock,
  hasMarker,
  readSystemRoots,
  writeTrustBundle,
  type SystemRoots,
  type TrustBundleResult,
  type TrustEnvVar,
} from "./bundle.ts";
export { ALPN_HTTP1_ONLY, sniHandler, upgradeToServerTls, type NativeSecureContext, type ServerTlsHandlers } from "./sni.ts";
