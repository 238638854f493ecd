// A recording fake of `security` for the login keychain: certificates (by SHA-1) and whether
// they carry a trust setting live in $FAKE_STATE/keychain.json.

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { finish, readState, record, writeState } from "./_fake.ts";

interface Item {
  sha1: string;
  sha256: string;
  cn: string;
  keychain: string;
  trusted: boolean;
}

const argv = process.argv.slice(2);
record("security", argv);
const items = readState<Item[]>("keychain.json", []);
const save = () => writeState("keychain.json", items);
const notFound = () => finish(44, "", "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.");
const hex = (fp: string) => fp.replace(/:/g, "").toUpperCase();
const option = (flag: string) => {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
};
const certOf = (path: string) => {
  const x = new X509Certificate(readFileSync(path));
  return { sha1: hex(x.fingerprint), sha256: hex(x.fingerprint256), cn: /CN=([^\n,]+)/.exec(x.subject)?.[1] ?? "" };
};

switch (argv[0]) {
  case "find-certificate": {
    const cn = option("-c");
    const found = items.filter((i) => cn === undefined || i.cn.includes(cn));
    if (!found.length) notFound();
    finish(0, found.map((i) => `SHA-256 hash: ${i.sha256}\nSHA-1 hash: ${i.sha1}\nkeychain: "${i.keychain}"\nversion: 512\nclass: 0x80001000\nattributes:\n    "alis"<blob>="${i.cn}"`).join("\n"));
  }
  case "add-trusted-cert": {
    const keychain = option("-k") ?? "";
    const c = certOf(argv[argv.length - 1]!);
    const existing = items.find((i) => i.sha1 === c.sha1);
    if (existing) existing.trusted = true;
    else items.push({ ...c, keychain, trusted: true });
    save();
    finish(0);
  }
  case "remove-trusted-cert": {
    const c = certOf(argv[argv.length - 1]!);
    const existing = items.find((i) => i.sha1 === c.sha1 && i.trusted);
    if (!existing) finish(1, "", "SecTrustSettingsRemoveTrustSettings: The specified item could not be found in the keychain.");
    existing.trusted = false;
    save();
    finish(0);
  }
  case "delete-certificate": {
    const at = items.findIndex((i) => i.sha1 === option("-Z")?.toUpperCase());
    if (at < 0) notFound();
    items.splice(at, 1);
    save();
    finish(0);
  }
  default:
    finish(1, "", `fake security: unsupported command ${argv[0]}`);
}
