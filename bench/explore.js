#!/usr/bin/env node
// Times the schedule explorer alone on one Go tree, apart from the rest of a run: the program is analyzed once
// (no rules), then explore() runs ROUNDS times on it. Prints each round's milliseconds and the explorer's own
// counts (entries, cut by the budget, states, verdicts); with VERDICTS=file, writes the verdicts (entries by id)
// for comparing two builds byte for byte. Run it with each build's bench/explore.js, one after the other.
//
//   npm run build && node bench/explore.js DIR [ROUNDS=2]
import { writeFileSync } from 'node:fs';
import { analyze } from '../dist/src/analyze.js';
import { explore } from '../dist/src/explore/explore.js';
import { SyncFacts } from '../dist/src/facts/engine.js';

const [dir, roundsArg = '2'] = process.argv.slice(2);
if (!dir) throw new Error('usage: node bench/explore.js DIR [ROUNDS]');
const analysis = await analyze({ patterns: ['./...'], cwd: dir, tests: true, workers: 1, rules: [] });
const facts = new SyncFacts(analysis.graph);
for (let round = 1; round <= Number(roundsArg); round++) {
  const start = performance.now();
  const explored = explore(analysis.graph, facts.noReturn);
  const ms = Math.round(performance.now() - start);
  const s = explored.stats;
  console.log(
    `explore round ${round}: ${ms} ms; ${s.entries} entries (${s.cutByBudget} cut by the budget), ${s.harnesses} harnesses ` +
      `(${s.harnessesCut} cut), ${s.states} states, ${s.verdicts} verdicts`,
  );
  if (process.env.VERDICTS) writeFileSync(process.env.VERDICTS, JSON.stringify(explored.verdicts.map((v) => ({ ...v, entry: v.entry.id })), null, 1));
}
