// Shared by the recording fakes of launchctl, networksetup and security: every call is appended
// to $FAKE_LOG as one JSON line, and each tool keeps its state in files under $FAKE_STATE.

import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const stateDir = process.env.FAKE_STATE ?? "";
if (!stateDir || !process.env.FAKE_LOG) {
  console.error("fake: FAKE_STATE and FAKE_LOG must be set");
  process.exit(99);
}
mkdirSync(stateDir, { recursive: true });

export function record(tool: string, argv: string[]): void {
  appendFileSync(process.env.FAKE_LOG!, `${JSON.stringify({ tool, argv })}\n`);
}

export function readState<T>(name: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(join(stateDir, name), "utf8")) as T;
  } catch {
    return fallback;
  }
}

export function writeState(name: string, value: unknown): void {
  writeFileSync(join(stateDir, name), `${JSON.stringify(value, null, 2)}\n`);
}

export function finish(code: number, stdout = "", stderr = ""): never {
  if (stdout) process.stdout.write(stdout.endsWith("\n") ? stdout : `${stdout}\n`);
  if (stderr) process.stderr.write(stderr.endsWith("\n") ? stderr : `${stderr}\n`);
  process.exit(code);
}
