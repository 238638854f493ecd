export { createKeychain, type Keychain } from "./keychain.ts";
export { createLaunchdSupervisor, type LaunchdOptions } from "./launchd.ts";
export { createSystemProxy } from "./system-proxy.ts";
