import { createConsola } from "consola";

/** Where human output goes. Commands receive one, so tests can read what a person would see. */
export interface Terminal {
  info(msg: string): void;
  success(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** What to do next, after an error or warning: on stderr. */
  hint(msg: string): void;
  /** A plain line on stdout (tables, JSON, CSV): never decorated. */
  print(line: string): void;
  color: boolean;
}

export interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
}

export function wantsColor(stream: Writable, env: Record<string, string | undefined> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** Consola on a TTY (respecting NO_COLOR), plain prefixed lines otherwise. */
export function createTerminal(stdout: Writable = process.stdout, stderr: Writable = process.stderr, env = process.env): Terminal {
  const color = wantsColor(stderr, env);
  const consola = createConsola({
    formatOptions: { colors: color, date: false, compact: true },
    stdout: stdout as NodeJS.WriteStream,
    stderr: stderr as NodeJS.WriteStream,
    ...({ fancy: color } as object),
  });
  if (!color) {
    const plain = (prefix: string, out: Writable) => (msg: string) => out.write(`${prefix}${msg}\n`);
    return { info: plain("", stdout), success: plain("", stdout), warn: plain("warning: ", stderr), error: plain("error: ", stderr), hint: plain("  hint: ", stderr), print: (l) => stdout.write(`${l}\n`), color };
  }
  return {
    info: (m) => consola.info(m),
    success: (m) => consola.success(m),
    warn: (m) => consola.warn(m),
    error: (m) => consola.error(m),
    hint: (m) => stderr.write(`  hint: ${m}\n`),
    print: (l) => stdout.write(`${l}\n`),
    color,
  };
}

/** A terminal that records lines: for tests. */
export function recordingTerminal(): Terminal & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    color: false,
    info: (m) => out.push(m),
    success: (m) => out.push(m),
    warn: (m) => err.push(`warning: ${m}`),
    error: (m) => err.push(`error: ${m}`),
    hint: (m) => err.push(`  hint: ${m}`),
    print: (l) => out.push(l),
  };
}
