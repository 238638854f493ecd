// Loaded before every test file (bunfig.toml): hooks that span the whole run.

import { afterAll } from "bun:test";
import { removeAll } from "./harness/at-end.ts";

afterAll(removeAll);
