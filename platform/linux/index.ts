// Linux supervisors: the systemd user manager where one runs, detached processes otherwise.
export { createSystemdSupervisor, explainBusFailure, type SystemdOptions } from "./systemd.ts";
export { createFallbackSupervisor, type FallbackOptions } from "./fallback.ts";
export { renderUnit, UNIT_NAMES } from "./unit.ts";
