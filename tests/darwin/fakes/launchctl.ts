// A recording fake of `launchctl` that behaves like a small launchd: bootstrap parses the plist
// with Python's plistlib (a malformed one is refused), RunAtLoad/KeepAlive jobs start at load,
// kickstart runs a job, bootout stops it (SIGTERM, then SIGKILL after ExitTimeOut), print answers
// in launchd's format, setenv/getenv keep the user domain's environment. Knobs (files in
// $FAKE_STATE): `bootstrap-failures` holds how many coming bootstraps answer rc=5; a
// `bootout-orphans` file makes bootout unload a job but leave its process running.
// Nothing respawns: KeepAlive is recorded, not emulated. Jobs get launchd's base env (PATH,
// HOME, USER, SHELL, TMPDIR), the user domain's setenv variables and their plist's env.

import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { finish, readState, record, stateDir, writeState } from "./_fake.ts";

interface Job {
  plist: string;
  args: string[];
  env: Record<string, string>;
  stdout: string;
  stderr: string;
  runAtLoad: boolean;
  keepAlive: boolean;
  exitTimeOut: number;
  pid: number | null;
  runs: number;
  /** Set by a test to make `print` report a finished run. */
  lastExit?: number;
}

const argv = process.argv.slice(2);
record("launchctl", argv);
const uid = Number(process.env.FAKE_UID ?? process.getuid?.() ?? 0);
const domain = `gui/${uid}`;
const jobs = readState<Record<string, Job>>("jobs.json", {});
const userEnv = readState<Record<string, string>>("userenv.json", {});
const save = () => writeState("jobs.json", jobs);

function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Nothing reaps orphans in these containers: a zombie counts as gone.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

function spawnJob(job: Job): void {
  // launchd's own base env; FAKE_LAUNCHD_PATH lets a test put the fakes on the jobs' PATH too.
  const plumbing = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("FAKE_"))) as Record<string, string>;
  const base = { PATH: process.env.FAKE_LAUNCHD_PATH ?? "/usr/bin:/bin:/usr/sbin:/sbin", HOME: process.env.HOME ?? "/", USER: process.env.USER ?? "", SHELL: "/bin/zsh", TMPDIR: process.env.TMPDIR ?? "/tmp" };
  const env = { ...plumbing, ...base, ...userEnv, ...job.env };
  const child = Bun.spawn(job.args, { env, stdout: Bun.file(job.stdout), stderr: Bun.file(job.stderr), stdin: "ignore", detached: true } as Parameters<typeof Bun.spawn>[1]);
  child.unref();
  job.pid = child.pid;
  job.runs++;
  appendFileSync(join(stateDir, "spawned-pids"), `${child.pid}\n`);
}

async function stopJob(job: Job): Promise<void> {
  if (!alive(job.pid)) return;
  process.kill(job.pid!, "SIGTERM");
  const deadline = Date.now() + job.exitTimeOut * 1000;
  while (alive(job.pid) && Date.now() < deadline) await Bun.sleep(20);
  if (alive(job.pid)) process.kill(job.pid!, "SIGKILL");
}

function loadPlist(path: string): Record<string, unknown> {
  const py = Bun.spawnSync(["/usr/bin/python3", "-c", "import plistlib,json,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))", path]);
  if (py.exitCode !== 0) finish(5, "", `Bootstrap failed: 5: Input/output error (fake: plistlib refused ${path}: ${py.stderr.toString().trim().split("\n").pop()})`);
  return JSON.parse(py.stdout.toString());
}

function targetLabel(target: string | undefined): string {
  const prefix = `${domain}/`;
  if (!target?.startsWith(prefix)) finish(113, "", `Could not find domain for ${target}`);
  return target.slice(prefix.length);
}

const notFound = (label: string) => finish(113, "", `Could not find service "${label}" in domain for user gui: ${uid}`);

function printJob(label: string, job: Job): string {
  const running = alive(job.pid);
  const lines = [
    `${domain}/${label} = {`,
    "\tactive count = " + (running ? 1 : 0),
    `\tpath = ${job.plist}`,
    "\ttype = LaunchAgent",
    `\tstate = ${running ? "running" : "not running"}`,
    "",
    `\tprogram = ${job.args[0]}`,
    "\targuments = {",
    ...job.args.map((a) => `\t\t${a}`),
    "\t}",
    "",
    "\tenvironment = {",
    ...Object.entries(job.env).map(([k, v]) => `\t\t${k} => ${v}`),
    "\t}",
    "",
    `\tdomain = ${domain} [100005]`,
    `\truns = ${job.runs}`,
  ];
  if (running) lines.push(`\tpid = ${job.pid}`);
  lines.push(`\tlast exit code = ${job.lastExit ?? "(never exited)"}`, `\tproperties = ${[job.keepAlive && "keepalive", job.runAtLoad && "runatload"].filter(Boolean).join(" | ")}`, "}");
  return lines.join("\n");
}

const [verb, ...rest] = argv;
switch (verb) {
  case "bootstrap": {
    if (rest[0] !== domain) finish(125, "", `Bootstrap failed: 125: Domain does not support specified action`);
    const path = rest[1]!;
    const failures = readState<number>("bootstrap-failures", 0);
    if (failures > 0) {
      writeState("bootstrap-failures", failures - 1);
      finish(5, "", "Bootstrap failed: 5: Input/output error");
    }
    if (!existsSync(path)) finish(2, "", "Bootstrap failed: 2: No such file or directory");
    const p = loadPlist(path);
    const label = String(p.Label);
    if (`${label}.plist` !== basename(path)) finish(5, "", `Bootstrap failed: 5: Input/output error (fake: Label ${label} does not match ${basename(path)})`);
    if (jobs[label]) finish(5, "", "Bootstrap failed: 5: Input/output error");
    const job: Job = {
      plist: path,
      args: p.ProgramArguments as string[],
      env: (p.EnvironmentVariables as Record<string, string>) ?? {},
      stdout: String(p.StandardOutPath ?? "/dev/null"),
      stderr: String(p.StandardErrorPath ?? "/dev/null"),
      runAtLoad: p.RunAtLoad === true,
      keepAlive: p.KeepAlive !== undefined,
      exitTimeOut: typeof p.ExitTimeOut === "number" ? p.ExitTimeOut : 20,
      pid: null,
      runs: 0,
    };
    // As launchd does: any KeepAlive makes the job run at load.
    if (job.runAtLoad || job.keepAlive) spawnJob(job);
    jobs[label] = job;
    save();
    finish(0);
  }
  case "bootout": {
    const label = targetLabel(rest[0]);
    const job = jobs[label];
    if (!job) finish(3, "", "Boot-out failed: 3: No such process");
    if (!existsSync(join(stateDir, "bootout-orphans"))) await stopJob(job);
    delete jobs[label];
    save();
    finish(0);
  }
  case "kickstart": {
    const kill = rest[0] === "-k";
    const label = targetLabel(kill ? rest[1] : rest[0]);
    const job = jobs[label] ?? notFound(label);
    if (alive(job.pid) && !kill) finish(0);
    await stopJob(job);
    spawnJob(job);
    save();
    finish(0);
  }
  case "print": {
    if (rest[0] === domain) finish(0, `${domain} = {\n\ttype = gui\n\thandle = ${uid}\n\tactive count = ${Object.keys(jobs).length}\n}`);
    const label = targetLabel(rest[0]);
    const job = jobs[label] ?? notFound(label);
    finish(0, printJob(label, job));
  }
  case "setenv": {
    for (let i = 0; i + 1 < rest.length; i += 2) userEnv[rest[i]!] = rest[i + 1]!;
    writeState("userenv.json", userEnv);
    finish(0);
  }
  case "unsetenv": {
    delete userEnv[rest[0]!];
    writeState("userenv.json", userEnv);
    finish(0);
  }
  case "getenv":
    finish(0, userEnv[rest[0]!] ?? "");
  case "load":
  case "unload":
    // The deprecated verbs must never be used: fail loudly so a test notices.
    finish(64, "", `fake launchctl: deprecated "${verb}" used`);
  default:
    finish(64, "", `fake launchctl: unsupported verb ${verb}`);
}
