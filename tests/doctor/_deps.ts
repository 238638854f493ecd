// The doctor's inputs for one check at a time: a fresh state folder, nothing installed, nothing
// answering. Tests override what their check reads.

import { mkdirSync } from "node:fs";
import { defaultConfig } from "../../core/config/index.ts";
import type { DoctorDeps } from "../../core/doctor/context.ts";
import { statePaths } from "../../core/paths.ts";
import type { tempDir } from "../report/_seed.ts";

export function quietDeps(tmp: ReturnType<typeof tempDir>): DoctorDeps {
  const home = tmp.path("meter");
  mkdirSync(home, { mode: 0o700 });
  return {
    paths: statePaths(home),
    config: defaultConfig(),
    configError: null,
    env: {},
    userHome: tmp.dir,
    shell: "/bin/bash",
    sentinels: { mode: "apps", supervisor: "fallback", proxyManaged: false, gracefulStop: false },
    supervisor: null,
    supervisorError: null,
    health: async () => ({ ok: false, status: 0, error: "no answer" }),
    reachable: async () => false,
  };
}
