import type { ServiceStatus } from "../../core/service/supervisor.ts";

/** Linux has no watchdog, and `status` says why rather than showing a bare "not installed". */
export const WATCHDOG_ROW: ServiceStatus = {
  name: "watchdog",
  state: "not-applicable",
  pid: null,
  detail: "not on Linux: the watchdog guards the macOS system proxy; Linux has no system proxy for it to guard",
};
