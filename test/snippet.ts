import { analyze } from '../dist/src/analyze.js';
import type { CallGraph, FuncNode } from '../dist/src/resolve/callgraph.js';
import { tempTree } from './helpers.js';

/**
 * One Go file analyzed with no rules, for tests that ask the engine's parts directly. `//@name` at the end of a
 * line marks it, so tests ask by name, not by line number.
 */
export interface Snippet {
  graph: CallGraph;
  /** The line of each mark. */
  marks: ReadonlyMap<string, number>;
  /** A function of the snippet's package by its id's tail: `places`, `(*S).roots`. */
  fn(name: string): FuncNode;
}

/** Analyzes `src` as package `p` of the module `module` (the package path is `${module}/p`). */
export async function analyzeSnippet(module: string, src: string): Promise<Snippet> {
  const dir = tempTree({ 'go.mod': `module ${module}\n\ngo 1.22\n`, 'p/p.go': src });
  const marks = new Map<string, number>();
  src.split('\n').forEach((l, i) => {
    const m = /\/\/@(\w+)$/.exec(l);
    if (m) marks.set(m[1]!, i + 1);
  });
  const { graph } = await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules: [] });
  return {
    graph,
    marks,
    fn(name) {
      const f = graph.byId.get(`${module}/p.${name}`);
      if (!f) throw new Error(`no function ${name}`);
      return f;
    },
  };
}
