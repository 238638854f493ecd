// Processes sent around the meter for one host because they refused our certificate: each
// (process, host) pair tunnels raw for an hour, or until the daemon restarts, so that a tool
// without our CA keeps working while the log tells the user which variable it needs.

import type { ClientTlsFailure } from "../tls/client-failure.ts";
import type { ClientInfo } from "./connect.ts";

export interface Bypass {
  /** The process (its pid where /proc could tell, else its address) and the host. */
  process: string;
  host: string;
  until: number;
  reason: ClientTlsFailure["kind"];
}

export const BYPASS_MS = 60 * 60 * 1000;

export class Bypasses {
  private readonly table = new Map<string, Bypass>();

  constructor(private readonly now: () => number) {}

  /** How a calling process is named: its pid, or its address where pids are not known. */
  static processOf(pid: number | null, client: ClientInfo): string {
    return pid !== null ? `pid ${pid}` : client.address;
  }

  get empty(): boolean {
    return this.table.size === 0;
  }

  has(process: string, host: string): boolean {
    const key = `${process} ${host}`;
    const b = this.table.get(key);
    if (b === undefined) return false;
    if (b.until > this.now()) return true;
    this.table.delete(key);
    return false;
  }

  add(process: string, host: string, reason: Bypass["reason"]): void {
    this.table.set(`${process} ${host}`, { process, host, until: this.now() + BYPASS_MS, reason });
  }

  /** The bypasses still in force. */
  list(): Bypass[] {
    return [...this.table.values()].filter((b) => this.has(b.process, b.host));
  }
}
