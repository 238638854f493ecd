import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../fs/atomic.ts";
import type { Ports } from "./allocate.ts";

export interface EffectivePortsFile extends Ports {
  /** ISO time the tuple was chosen. */
  chosen_at: string;
}

export type ReadPortsResult = { ok: true; ports: EffectivePortsFile } | { ok: false; missing: boolean; message: string };

const isPort = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535;

export function readEffectivePorts(file: string): ReadPortsResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    return { ok: false, missing, message: missing ? `${file} does not exist yet` : `${file} cannot be read: ${(err as Error).message}` };
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, missing: false, message: `${file} is not valid JSON` };
  }
  if (typeof data !== "object" || data === null || !isPort(data.edge) || !isPort(data.internal) || !isPort(data.api)) {
    return { ok: false, missing: false, message: `${file} must hold "edge", "internal" and "api" port numbers` };
  }
  return { ok: true, ports: { edge: data.edge, internal: data.internal, api: data.api, chosen_at: String(data.chosen_at ?? "") } };
}

export function writeEffectivePorts(file: string, ports: Ports, now = new Date()): EffectivePortsFile {
  const record: EffectivePortsFile = { edge: ports.edge, internal: ports.internal, api: ports.api, chosen_at: now.toISOString() };
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
