// Desktop notifications on Linux: notify-send (libnotify) hands them to whatever notification
// server the session runs (GNOME Shell, KDE Plasma, dunst, mako...).

import { createCommandNotifier, type Notifier, type NotifyRunner } from "../../core/budgets/notify.ts";

const APP_NAME = "Halton Meter";

/**
 * `--` ends notify-send's options (GLib's option parser honours it; checked with libnotify 0.8.1),
 * so a title such as "-t" is shown rather than read as --expire-time. An empty title would be
 * refused ("No summary specified"): the app name stands in.
 */
export function notifySendArgv(title: string, body: string): string[] {
  return ["notify-send", `--app-name=${APP_NAME}`, "--", title || APP_NAME, body];
}

export function createNotifySendNotifier(opts: { run: NotifyRunner; report: (reason: string) => void }): Notifier {
  return createCommandNotifier({
    ...opts,
    argv: notifySendArgv,
    installHint: "install libnotify-bin (Debian, Ubuntu) or libnotify (Fedora, Arch) for them",
  });
}
