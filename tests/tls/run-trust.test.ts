// The trust env `halton-meter run` gives its child names only files that exist.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trustEnv } from "../../cmd/commands/run.ts";

const dir = mkdtempSync(join(tmpdir(), "hm-run-trust-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = join(dir, "ca.pem");
const bundle = join(dir, "trust-bundle.pem");

test("no CA yet: no trust env; CA and bundle: the bundle for every variable but Node's; CA alone: Node's only, and a warning", () => {
  const warnings: string[] = [];
  const warn = (m: string) => void warnings.push(m);
  expect(trustEnv(ca, bundle, warn)).toEqual({});
  writeFileSync(ca, "ca");
  const partial = trustEnv(ca, bundle, warn);
  expect(partial).toEqual({ NODE_EXTRA_CA_CERTS: ca });
  expect(warnings).toEqual([expect.stringContaining("halton-meter setup")]);
  writeFileSync(bundle, "bundle");
  const full = trustEnv(ca, bundle, warn);
  expect(full.NODE_EXTRA_CA_CERTS).toBe(ca);
  expect(full.SSL_CERT_FILE).toBe(bundle);
  expect(Object.entries(full).filter(([k]) => k !== "NODE_EXTRA_CA_CERTS").every(([, v]) => v === bundle)).toBe(true);
  expect(warnings).toHaveLength(1);
});
