// The two human-readable outputs the darwin code reads: `launchctl print` and `networksetup -get*proxy`.

import { expect, test } from "bun:test";
import { parsePrint } from "../../platform/darwin/launchctl-print.ts";
import { parseProxy } from "../../platform/darwin/networksetup.ts";

// Trimmed from macOS 14; nested blocks carry their own "state =" and "pid =" lines.
const RUNNING = `gui/501/com.haltonlabs.meter.edge = {
	active count = 1
	path = /Users/jo/Library/LaunchAgents/com.haltonlabs.meter.edge.plist
	type = LaunchAgent
	state = running

	program = /Users/jo/.local/bin/halton-meter-edge
	arguments = {
		/Users/jo/.local/bin/halton-meter-edge
	}

	environment = {
		HALTON_METER_HOME => /Users/jo/.halton-meter
	}

	domain = gui/501 [100005]
	runs = 3
	pid = 4242
	immediate reason = speculative
	last exit code = 0

	endpoints = {
		"com.example.endpoint" = {
			port = 0x1a03
			active = 0
			state = waiting
			pid = 1
		}
	}
	properties = keepalive | runatload | inferred program
}`;

test("launchctl print: top-level state, pid, runs and last exit code; nested blocks ignored", () => {
  expect(parsePrint(RUNNING)).toEqual({ state: "running", pid: 4242, lastExitCode: 0, lastSignal: null, runs: 3 });
});

test("launchctl print: a job that died by a signal, and one that never ran", () => {
  const killed = RUNNING.replace("\tstate = running", "\tstate = not running").replace("\tpid = 4242\n", "").replace("\tlast exit code = 0", "\tlast terminating signal = Killed: 9");
  expect(parsePrint(killed)).toMatchObject({ state: "not running", pid: null, lastSignal: "Killed: 9", lastExitCode: null });
  const never = RUNNING.replace("\tstate = running", "\tstate = not running").replace("\tpid = 4242\n", "").replace("\tlast exit code = 0", "\tlast exit code = (never exited)");
  expect(parsePrint(never)).toMatchObject({ pid: null, lastExitCode: null });
});

test("networksetup proxy output, on, off and authenticated", () => {
  expect(parseProxy("Enabled: Yes\nServer: 127.0.0.1\nPort: 8081\nAuthenticated Proxy Enabled: 0\n")).toEqual({ enabled: true, server: "127.0.0.1", port: 8081, authenticated: false });
  expect(parseProxy("Enabled: No\nServer: \nPort: 0\nAuthenticated Proxy Enabled: 0\n")).toEqual({ enabled: false, server: "", port: 0, authenticated: false });
  expect(parseProxy("Enabled: Yes\nServer: proxy.corp\nPort: 3128\nAuthenticated Proxy Enabled: 1\n").authenticated).toBe(true);
});
