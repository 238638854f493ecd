// A recording fake of `networksetup`: network services and their web/secure-web proxies live in
// $FAKE_STATE/network.json ({ services: [{ name, disabled }], proxies: { name: { web, secure } } }).
// Output and error wording follow the real tool: an unknown service answers "** Error" on stdout.
// Knobs (files in $FAKE_STATE): `networksetup-set-fails` makes every change refused as it is for
// a user who may not change network settings; `networksetup-hangs` makes every call hang (its pid
// goes into `spawned-pids`, so the sandbox's cleanup kills it).

import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { finish, readState, record, stateDir, writeState } from "./_fake.ts";

interface Proxy {
  enabled: boolean;
  server: string;
  port: number;
  authenticated: boolean;
}
interface Network {
  services: Array<{ name: string; disabled?: boolean }>;
  proxies: Record<string, { web: Proxy; secure: Proxy }>;
}

const argv = process.argv.slice(2);
record("networksetup", argv);
const off = (): Proxy => ({ enabled: false, server: "", port: 0, authenticated: false });
const net = readState<Network>("network.json", { services: [{ name: "Wi-Fi" }], proxies: {} });

if (existsSync(join(stateDir, "networksetup-hangs"))) {
  appendFileSync(join(stateDir, "spawned-pids"), `${process.pid}\n`);
  await Bun.sleep(600_000);
}
const [verb, service, ...rest] = argv;
if (verb?.startsWith("-set") && existsSync(join(stateDir, "networksetup-set-fails"))) {
  finish(14, "** Error: You cannot set network settings: an administrator password is required.");
}
if (verb === "-listallnetworkservices") {
  finish(0, ["An asterisk (*) denotes that a network service is disabled.", ...net.services.map((s) => `${s.disabled ? "*" : ""}${s.name}`)].join("\n"));
}
const m = /^-(get|set)(web|secureweb)proxy(state)?$/.exec(verb ?? "");
if (!m) finish(4, `** Error: unknown command ${verb}`);
if (!net.services.some((s) => s.name === service)) finish(4, `${service} is not a recognized network service.\n** Error: The parameters were not valid.`);
const kind = m[2] === "web" ? "web" : "secure";
const entry = (net.proxies[service!] ??= { web: off(), secure: off() });
const p = entry[kind];

if (m[1] === "get" && !m[3]) {
  finish(0, `Enabled: ${p.enabled ? "Yes" : "No"}\nServer: ${p.server}\nPort: ${p.port}\nAuthenticated Proxy Enabled: ${p.authenticated ? 1 : 0}`);
}
if (m[1] === "set" && m[3]) {
  if (rest[0] !== "on" && rest[0] !== "off") finish(4, "** Error: The parameters were not valid.");
  p.enabled = rest[0] === "on";
} else if (m[1] === "set") {
  const port = Number(rest[1]);
  if (!rest[0] || !Number.isInteger(port)) finish(4, "** Error: The parameters were not valid.");
  // -setwebproxy sets the server and turns the proxy on; without credentials it is unauthenticated.
  entry[kind] = { enabled: true, server: rest[0]!, port, authenticated: rest[2] === "on" };
} else finish(4, "** Error: The parameters were not valid.");
writeState("network.json", net);
finish(0);
