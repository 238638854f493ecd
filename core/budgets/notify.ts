// Desktop notifications for budget alerts. The core says what to show; each platform says which
// program shows it (platform/linux/notify-send.ts, platform/darwin/notification.ts), run through an
// injected runner so tests can read the exact argv. A notification is a courtesy: nothing here
// throws, and a failure is said once through `report`, never once per alert.

export interface Notifier {
  notify(title: string, body: string): Promise<void>;
}

/** Runs a program to completion. Code 127: it could not be started (missing, not executable). */
export type NotifyRunner = (argv: string[]) => Promise<{ code: number; stderr: string }>;

/**
 * Text fit for one argv element: a NUL would make the spawn itself fail, and other control
 * characters (escape sequences, carriage returns) have no business on a desktop. Newlines and
 * tabs stay; everything else becomes a space.
 */
export function plainText(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, " ");
}

export interface CommandNotifierOptions {
  /** The program and its arguments for one notification (title and body already plain text). */
  argv: (title: string, body: string) => string[];
  run: NotifyRunner;
  /** Why notifications are not shown, each distinct reason once (for the daemon's log). */
  report: (reason: string) => void;
  /** What to do when the program is missing: "install libnotify-bin". */
  installHint: string;
}

/**
 * A Notifier that runs one program per notification. A program that cannot be started is reported
 * once and not tried again (it will not appear while the daemon runs); any other failure (no
 * session bus, a timeout) is reported once per distinct reason and tried again next time, since a
 * desktop session can come and go under a long-running daemon.
 */
export function createCommandNotifier(opts: CommandNotifierOptions): Notifier {
  let missing = false;
  const reported = new Set<string>();
  const tell = (reason: string) => {
    if (reported.has(reason)) return;
    reported.add(reason);
    opts.report(reason);
  };
  return {
    async notify(title, body) {
      if (missing) return;
      const argv = opts.argv(plainText(title), plainText(body));
      const r = await opts.run(argv).catch((err: unknown) => ({ code: 127, stderr: String((err as Error)?.message ?? err) }));
      if (r.code === 0) return;
      const why = firstLine(r.stderr) ?? `exit code ${r.code}`;
      if (r.code === 127) {
        missing = true;
        tell(`${argv[0]} could not be run (${why}), so budget alerts are not shown on the desktop: ${opts.installHint}`);
      } else tell(`${argv[0]} failed (${why}), so a budget alert was not shown on the desktop`);
    },
  };
}

function firstLine(text: string): string | null {
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? null;
}
