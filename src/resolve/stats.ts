import type { CallGraph } from './callgraph.js';

/** How the call sites of the program were resolved, for `--stats`. */
export interface CallStats {
  total: number;
  /** Static calls, concrete methods (promoted included) and directly called literals. */
  static: number;
  interface: number;
  /** Calls through function values and method values. */
  funcValue: number;
  external: number;
  builtin: number;
  conversion: number;
  unresolved: number;
  /** Unresolved reasons, most frequent first. */
  reasons: { reason: string; count: number }[];
}

export function callStats(graph: CallGraph): CallStats {
  const s: CallStats = { total: 0, static: 0, interface: 0, funcValue: 0, external: 0, builtin: 0, conversion: 0, unresolved: 0, reasons: [] };
  const reasons = new Map<string, number>();
  for (const fn of graph.funcs) {
    for (const site of graph.sites(fn)) {
      s.total++;
      const info = site.info;
      switch (info.kind) {
        case 'resolved': {
          const how = info.targets[0]!.how;
          if (how === 'interface') s.interface++;
          else if (how === 'func-value' || how === 'method-value') s.funcValue++;
          else s.static++;
          break;
        }
        case 'external':
          s.external++;
          break;
        case 'builtin':
          s.builtin++;
          break;
        case 'conversion':
          s.conversion++;
          break;
        case 'unresolved':
          s.unresolved++;
          reasons.set(info.reason, (reasons.get(info.reason) ?? 0) + 1);
          break;
      }
    }
  }
  s.reasons = [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
  return s;
}

/** The `--stats` lines about calls: totals, the resolved share, and the top unresolved reasons. */
export function formatCallStats(s: CallStats, top = 5): string[] {
  const inProgram = s.static + s.interface + s.funcValue + s.unresolved;
  const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : 'n/a');
  const lines = [
    `calls: ${s.total} sites: ${s.static} static, ${s.interface} interface, ${s.funcValue} func-value, ${s.external} external, ` +
      `${s.builtin} builtin, ${s.conversion} conversions, ${s.unresolved} unresolved ` +
      `(${pct(inProgram - s.unresolved, inProgram)} of the rest resolved)`,
  ];
  for (const r of s.reasons.slice(0, top)) lines.push(`  unresolved: ${r.count} ${r.reason}`);
  return lines;
}
