/**
 * "Is this program's fact computed yet?" — a whole-program fact (a list of hazards, a table over every function)
 * computed on first ask and kept with the program (its SyncFacts or its CallGraph): several rules and facts ask for
 * the same one, and a new program (a test's, a --new-from-rev base's) gets its own.
 */
export function perProgram<P extends object, T>(compute: (program: P) => T): (program: P) => T {
  const cache = new WeakMap<P, T>();
  return (program) => {
    let out = cache.get(program);
    if (out === undefined) cache.set(program, (out = compute(program)));
    return out;
  };
}
