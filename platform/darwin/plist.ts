// launchd property lists, rendered from a typed spec. Pure: the same spec gives the same bytes,
// so `install` can tell an unchanged agent from a changed one by comparing text.

/** One LaunchAgent, in launchd's own terms. */
export interface PlistSpec {
  label: string;
  /** Absolute executable first; launchd does not search PATH for it. */
  programArguments: string[];
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
  runAtLoad: boolean;
  /** Omitted when false: any KeepAlive key makes launchd treat the job as RunAtLoad too. */
  keepAlive: boolean;
  /** Seconds launchd waits after SIGTERM before SIGKILL. */
  exitTimeOut?: number;
  /** Minimum seconds between respawns (launchd's default is 10). */
  throttleInterval?: number;
}

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

// XML 1.0 cannot carry these at all, not even as character references. A bare \r would be read
// back as \n (XML normalises line ends), so it is written as a reference.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function escapeXml(text: string): string {
  if (FORBIDDEN.test(text)) throw new Error(`a launchd plist cannot hold this text (it has a control character): ${JSON.stringify(text)}`);
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\r/g, "&#13;");
}

function renderValue(value: PlistValue, indent: string): string[] {
  if (typeof value === "string") return [`${indent}<string>${escapeXml(value)}</string>`];
  if (typeof value === "boolean") return [`${indent}<${value}/>`];
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`plist integers only: ${value}`);
    return [`${indent}<integer>${value}</integer>`];
  }
  if (Array.isArray(value)) return [`${indent}<array>`, ...value.flatMap((v) => renderValue(v, `${indent}\t`)), `${indent}</array>`];
  const lines = [`${indent}<dict>`];
  for (const [key, v] of Object.entries(value)) lines.push(`${indent}\t<key>${escapeXml(key)}</key>`, ...renderValue(v, `${indent}\t`));
  lines.push(`${indent}</dict>`);
  return lines;
}

export function renderPlist(spec: PlistSpec): string {
  if (!spec.programArguments[0]?.startsWith("/")) throw new Error(`launchd needs an absolute program path, got ${JSON.stringify(spec.programArguments[0])}`);
  const dict: Record<string, PlistValue> = {
    Label: spec.label,
    ProgramArguments: spec.programArguments,
    EnvironmentVariables: Object.fromEntries(Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    StandardOutPath: spec.stdoutPath,
    StandardErrorPath: spec.stderrPath,
    RunAtLoad: spec.runAtLoad,
  };
  if (spec.keepAlive) dict.KeepAlive = true;
  if (spec.exitTimeOut !== undefined) dict.ExitTimeOut = spec.exitTimeOut;
  if (spec.throttleInterval !== undefined) dict.ThrottleInterval = spec.throttleInterval;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`,
    `<plist version="1.0">`,
    ...renderValue(dict, ""),
    `</plist>`,
    "",
  ].join("\n");
}
