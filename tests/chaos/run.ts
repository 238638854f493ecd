// `make chaos`: the fault suite's long form. More load and more fault rounds than the short form
// in tests/chaos/chaos.test.ts; prints the timeline and the summary table, exits 1 when a
// target is missed. Needs the compiled binaries (`make build`).
// Run: node_modules/.bin/bun tests/chaos/run.ts [rounds=3]

import { runChaos } from "./_scenario.ts";
import { summaryTable } from "./_summary.ts";

const rounds = Number(process.argv[2] ?? 3);
const result = await runChaos({ loops: { bun: 4, node: 2, curl: 3 }, phaseMs: 2500, rounds, sseEvents: 8, sseGapMs: 40, log: (l) => console.log(l) });
const s = result.summary;
console.log(`\nchaos: ${rounds} rounds of faults${result.readOnlyFault ? `; the read-only store refused ${result.storeErrors} writes` : " (read-only store fault skipped: no rights to chattr here)"}\n`);
console.log(summaryTable(s));
for (const f of s.newFailed.slice(0, 20)) console.log(`  failed: ${f.client} ${f.kind} ${f.id} via ${f.via}: ${f.error}`);
for (const m of s.missingRows.slice(0, 20)) console.log(`  no row: ${m.client} ${m.kind} ${m.id}`);
for (const e of result.unexpectedExits) console.log(`  ${e}`);
for (const m of s.resetsMissingRows.slice(0, 20)) console.log(`  reset without a row: ${m.client} ${m.id}`);
const ok = s.newFailed.length === 0 && s.missingRows.length === 0 && s.resetsMissingRows.length === 0 && s.duplicated.length === 0 && s.integrityOk && result.refusedTakenPort && result.unexpectedExits.length === 0;
console.log(`\n${ok ? "PASS" : "FAIL"}: every target ${ok ? "met" : "not met"}`);
process.exit(ok ? 0 : 1);
