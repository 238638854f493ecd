import { describe, expect, test } from "bun:test";
import { type ConfigError, type ConfigResult, defaultConfig, formatConfigError, parseConfigText } from "../../core/config/index.ts";

// The [budgets] section: its defaults, a full example, and an error naming the key for each wrong value.

const FILE = "/home/u/.halton-meter/config.toml";
const failure = (r: ConfigResult): ConfigError => {
  if (r.ok) throw new Error("expected a config error");
  return r.error;
};

test("defaults: no budget, no window alert, notifications on", () => {
  expect(defaultConfig().budgets).toEqual({ window_alerts: [], notify: true, projects: {} });
});

test("a full section reads as written; thresholds are sorted and kept once", () => {
  const toml = `[budgets]
daily_usd = 20
weekly_usd = 100
monthly_usd = 300.5
window_alerts = [0.95, 0.8, 0.8]
notify = false

[budgets.projects.alpha]
daily_usd = 5
monthly_usd = 50

[budgets.projects."me@work.v2"]
weekly_usd = 1
`;
  const r = parseConfigText(toml, FILE);
  if (!r.ok) throw new Error(formatConfigError(r.error));
  expect(r.warnings).toEqual([]);
  expect(r.config.budgets).toEqual({
    daily_usd: 20,
    weekly_usd: 100,
    monthly_usd: 300.5,
    window_alerts: [0.8, 0.95],
    notify: false,
    projects: { alpha: { daily_usd: 5, monthly_usd: 50 }, "me@work.v2": { weekly_usd: 1 } },
  });
  expect([...r.pinned].sort()).toEqual(["budgets.daily_usd", "budgets.monthly_usd", "budgets.notify", "budgets.projects", "budgets.weekly_usd", "budgets.window_alerts"]);
});

test("an unknown key directly in [budgets] is a warning, like any section's", () => {
  const r = parseConfigText("[budgets]\ndayly_usd = 20\n", FILE);
  expect(r.ok && r.warnings).toEqual([`${FILE}: budgets.dayly_usd: unknown key, ignored (known: daily_usd, weekly_usd, monthly_usd, window_alerts, notify, projects)`]);
});

describe("wrong values name the key and the line", () => {
  const cases: Array<[string, string, string, string, number]> = [
    ["a zero budget", "[budgets]\ndaily_usd = 0\n", "budgets.daily_usd", "a budget of at least 0.01 US dollars, got 0", 2],
    ["a negative project budget", "[budgets.projects.alpha]\nmonthly_usd = -5\n", "budgets.projects.alpha.monthly_usd", "a budget of at least 0.01 US dollars, got -5", 2],
    ["a budget as text", '[budgets]\nweekly_usd = "100"\n', "budgets.weekly_usd", 'an amount of US dollars, got "100"', 2],
    ["an infinite budget", "[budgets]\n\nmonthly_usd = inf\n", "budgets.monthly_usd", "a finite amount of US dollars, got Infinity", 3],
    ["a percentage for a threshold", "[budgets]\nwindow_alerts = [0.8, 95]\n", "budgets.window_alerts.1", "a fraction above 0 and at most 1 (0.8 means 80%), got 95", 2],
    ["a zero threshold", "[budgets]\nwindow_alerts = [0]\n", "budgets.window_alerts.0", "a fraction above 0 and at most 1 (0.8 means 80%), got 0", 2],
    ["a threshold as text", '[budgets]\nwindow_alerts = ["80%"]\n', "budgets.window_alerts.0", 'a fraction such as 0.8, got "80%"', 2],
    ["one threshold, not a list", "[budgets]\nwindow_alerts = 0.8\n", "budgets.window_alerts", "a list of fractions such as [0.8, 0.95], got 0.8", 2],
    ["notify as text", '[budgets]\nnotify = "off"\n', "budgets.notify", 'true or false, got "off"', 2],
    ["projects as a value", "[budgets]\nprojects = 5\n", "budgets.projects", "a table of project = { daily_usd = ..., weekly_usd = ..., monthly_usd = ... }, got 5", 2],
    ["projects as a list", "[budgets]\nprojects = [1]\n", "budgets.projects", "a table of project = { daily_usd = ..., weekly_usd = ..., monthly_usd = ... }, got a list", 2],
    ["a project name with a space", '[budgets.projects."my project"]\ndaily_usd = 5\n', "budgets.projects.my project", 'a project name of letters, digits, _ . @ + - (at most 100), got "my project"', 1],
    ["a project given a number", "[budgets.projects]\nalpha = 5\n", "budgets.projects.alpha", "a table such as { daily_usd = 5 }, got 5", 2],
    ["a misspelt key in a project", "[budgets.projects.alpha]\ndaily_usd = 5\ndialy_usd = 5\n", "budgets.projects.alpha.dialy_usd", 'a budget key: daily_usd, weekly_usd or monthly_usd, got "dialy_usd"', 3],
  ];
  for (const [name, toml, key, message, line] of cases) {
    test(name, () => {
      const e = failure(parseConfigText(toml, FILE));
      expect(formatConfigError(e)).toBe(`${FILE}: ${key}: expected ${message} (line ${line})`);
    });
  }

  // valibot's record() would drop these keys silently, and the budget with them.
  for (const name of ["prototype", "constructor", "__proto__"]) {
    test(`a project called ${name} is refused, not dropped`, () => {
      const e = failure(parseConfigText(`[budgets.projects.alpha]\ndaily_usd = 1\n[budgets.projects.${name}]\ndaily_usd = 5\n`, FILE));
      expect(formatConfigError(e)).toBe(`${FILE}: budgets.projects: expected project names other than __proto__, prototype and constructor (they cannot be budgeted), got a table`);
    });
  }
});
