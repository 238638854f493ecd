import { describe, expect, test } from "bun:test";
import { createCommandNotifier, type NotifyRunner, plainText } from "../../core/budgets/notify.ts";
import { notifyRunner } from "../../core/service/runner.ts";
import { appleScriptString, createOsascriptNotifier, osascriptArgv } from "../../platform/darwin/notification.ts";
import { createNotifySendNotifier, notifySendArgv } from "../../platform/linux/notify-send.ts";

// Desktop notifications: the exact argv each platform's program gets, hostile text included, and
// how failures are reported (once, never thrown).

const HOSTILE = `-t 0 "quoted" \\ back\\slash\nsecond line; $(rm -rf ~) 'single'`;

/** A runner that records every argv and answers from a script (success when the script runs out). */
function recorder(answers: Array<{ code: number; stderr: string }> = []) {
  const calls: string[][] = [];
  const run: NotifyRunner = async (argv) => {
    calls.push(argv);
    return answers.shift() ?? { code: 0, stderr: "" };
  };
  return { calls, run };
}

describe("Linux: notify-send", () => {
  test("app name, then -- so that nothing after it is read as an option, then title and body verbatim", async () => {
    const { calls, run } = recorder();
    const reasons: string[] = [];
    await createNotifySendNotifier({ run, report: (r) => reasons.push(r) }).notify("--help", HOSTILE);
    expect(calls).toEqual([["notify-send", "--app-name=Halton Meter", "--", "--help", HOSTILE]]);
    expect(reasons).toEqual([]);
  });

  test("an empty title, which notify-send refuses, becomes the app name", () => {
    expect(notifySendArgv("", "body")).toEqual(["notify-send", "--app-name=Halton Meter", "--", "Halton Meter", "body"]);
  });

  test("a missing notify-send is reported once, with what to install, and not tried again", async () => {
    const { calls, run } = recorder([{ code: 127, stderr: 'notify-send: Executable not found in $PATH: "notify-send"' }]);
    const reasons: string[] = [];
    const notifier = createNotifySendNotifier({ run, report: (r) => reasons.push(r) });
    await notifier.notify("one", "a");
    await notifier.notify("two", "b");
    expect(calls).toHaveLength(1);
    expect(reasons).toEqual([
      'notify-send could not be run (notify-send: Executable not found in $PATH: "notify-send"), so budget alerts are not shown on the desktop: install libnotify-bin (Debian, Ubuntu) or libnotify (Fedora, Arch) for them',
    ]);
  });

  test("no session bus: each distinct failure is reported once, and later alerts are still tried", async () => {
    const noBus = { code: 1, stderr: "Cannot autolaunch D-Bus without X11 $DISPLAY\n" };
    const { calls, run } = recorder([noBus, noBus, { code: 124, stderr: "notify-send did not finish within 2000 ms" }]);
    const reasons: string[] = [];
    const notifier = createNotifySendNotifier({ run, report: (r) => reasons.push(r) });
    for (const n of [1, 2, 3, 4]) await notifier.notify(`alert ${n}`, "body");
    expect(calls.map((argv) => argv[3])).toEqual(["alert 1", "alert 2", "alert 3", "alert 4"]);
    expect(reasons).toEqual([
      "notify-send failed (Cannot autolaunch D-Bus without X11 $DISPLAY), so a budget alert was not shown on the desktop",
      "notify-send failed (notify-send did not finish within 2000 ms), so a budget alert was not shown on the desktop",
    ]);
  });

  test("a failure with nothing on stderr says its exit code", async () => {
    const { run } = recorder([{ code: 3, stderr: "  \n" }]);
    const reasons: string[] = [];
    await createNotifySendNotifier({ run, report: (r) => reasons.push(r) }).notify("t", "b");
    expect(reasons).toEqual(["notify-send failed (exit code 3), so a budget alert was not shown on the desktop"]);
  });
});

describe("macOS: osascript", () => {
  test("the text is an AppleScript string: quotes and backslashes escaped, line breaks written as \\n", () => {
    expect(appleScriptString('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(appleScriptString("a\nb\tc")).toBe('"a\\nb\\tc"');
    expect(appleScriptString('\\"')).toBe('"\\\\\\""');
  });

  test("one -e script with body, then title; hostile text cannot end the string early", async () => {
    const { calls, run } = recorder();
    await createOsascriptNotifier({ run, report: () => {} }).notify('Budget "alpha"', HOSTILE);
    expect(calls).toHaveLength(1);
    const [program, flag, script, ...rest] = calls[0]!;
    expect([program, flag, rest]).toEqual(["osascript", "-e", []]);
    expect(script).toBe(
      `display notification "-t 0 \\"quoted\\" \\\\ back\\\\slash\\nsecond line; $(rm -rf ~) 'single'" with title "Budget \\"alpha\\""`,
    );
    // Read back as AppleScript would: the script holds exactly two string literals, the body and the title.
    const literals = [...script!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c)));
    expect(literals).toEqual([HOSTILE, 'Budget "alpha"']);
    expect(script!.replace(/"((?:[^"\\]|\\.)*)"/g, "S")).toBe("display notification S with title S");
  });

  test("an empty title becomes the app name", () => {
    expect(osascriptArgv("", "b")[2]).toBe('display notification "b" with title "Halton Meter"');
  });
});

describe("the shared command notifier", () => {
  test("control characters are stripped before the program sees them: NUL would fail the spawn, escapes have no place", async () => {
    const { calls, run } = recorder();
    const notifier = createCommandNotifier({ argv: (t, b) => ["show", t, b], run, report: () => {}, installHint: "" });
    await notifier.notify("a\u0000b", "x\r\ny\u001b[31mred\u0007\tz\u009b");
    expect(calls).toEqual([["show", "a b", "x\ny [31mred \tz "]]);
    expect(plainText("kept: é 😀 \n\t")).toBe("kept: é 😀 \n\t");
  });

  test("a runner that throws is a missing program, reported, never thrown", async () => {
    const reasons: string[] = [];
    const notifier = createCommandNotifier({
      argv: (t, b) => ["show", t, b],
      run: async () => {
        throw new Error("spawn exploded");
      },
      report: (r) => reasons.push(r),
      installHint: "install show",
    });
    await notifier.notify("t", "b");
    expect(reasons).toEqual(["show could not be run (spawn exploded), so budget alerts are not shown on the desktop: install show"]);
  });
});

describe("the real runner", () => {
  test("a program that does not exist is code 127 with a reason, not an exception", async () => {
    const r = await notifyRunner(["halton-meter-no-such-notifier"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("halton-meter-no-such-notifier");
  });

  test("a program's exit code and stderr come back", async () => {
    const r = await notifyRunner(["sh", "-c", "echo nope >&2; exit 3"]);
    expect(r).toEqual({ code: 3, stderr: "nope\n" });
  });
});
