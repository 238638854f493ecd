// The lifecycle commands' default output: a titled box of label/value rows, like consola's box.
// `--quiet` prints one line instead and `--json` an object, so scripts never parse this.

export type PanelRow = readonly [label: string, value: string];

const MAX_WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        out.push(line);
        line = "";
      }
      line = line === "" ? word : `${line} ${word}`;
      while (line.length > width) {
        out.push(line.slice(0, width));
        line = line.slice(width);
      }
    }
    out.push(line);
  }
  return out;
}

export function renderPanel(title: string, rows: readonly PanelRow[], footer: readonly string[] = []): string[] {
  const labelWidth = Math.max(0, ...rows.map(([l]) => l.length));
  const valueWidth = MAX_WIDTH - labelWidth - 6;
  const body: string[] = [];
  for (const [label, value] of rows) {
    wrap(value, valueWidth).forEach((part, i) => body.push(`${(i === 0 ? label : "").padEnd(labelWidth)}  ${part}`));
  }
  if (footer.length) {
    if (body.length) body.push("");
    for (const f of footer) body.push(...wrap(f, MAX_WIDTH - 4));
  }
  const inner = Math.max(title.length + 2, ...body.map((l) => l.length));
  return [
    `╭─ ${title} ${"─".repeat(Math.max(0, inner - title.length - 1))}╮`,
    ...body.map((l) => `│ ${l.padEnd(inner)} │`),
    `╰${"─".repeat(inner + 2)}╯`,
  ];
}
