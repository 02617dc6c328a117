/**
 * "Is this program's fact computed yet?" — a whole-program fact (a list of hazards, a table over every function)
 * computed on first ask and kept with the program's SyncFacts: several rules and facts ask for the same one, and
 * a new program (a test's, a --new-from-rev base's) gets its own.
 */
import type { SyncFacts } from './engine.js';

export function perProgram<T>(compute: (facts: SyncFacts) => T): (facts: SyncFacts) => T {
  const cache = new WeakMap<SyncFacts, T>();
  return (facts) => {
    let out = cache.get(facts);
    if (out === undefined) cache.set(facts, (out = compute(facts)));
    return out;
  };
}
