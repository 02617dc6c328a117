import path from 'node:path';
import { colOf, lineOf, type Pos } from './ir.js';
import { ModelBuilder } from './explore/build.js';
import { NoReturn } from './facts/noreturn.js';
import { STATE_BUDGET } from './explore/explore.js';
import type { Instr } from './explore/model.js';
import { search } from './explore/search.js';
import { exprText } from './irtext.js';
import type { CallGraph, CallInfo, FuncNode } from './resolve/callgraph.js';

export class ExplainError extends Error {}

/**
 * Finds a function by Go's qualified name (`example.com/m/pkg.(*T).M`), by a unique suffix of it
 * (`(*T).M`, `pkg.F`), or by the name findings print (`T.M`, `T.M.func2`): what users paste.
 */
export function findFunc(graph: CallGraph, name: string): FuncNode {
  const exact = graph.byId.get(name);
  if (exact) return exact;
  const printed = unparenthesized(name);
  const matches = graph.funcs.filter((f) => endsWithName(f.id, name) || endsWithName(unparenthesized(f.id), printed));
  const ids = [...new Set(matches.map((f) => f.id))];
  if (ids.length === 1) return matches[0]!;
  if (ids.length === 0) {
    const near = nearNames(graph, printed);
    throw new ExplainError(`no function named ${name} in the analyzed packages${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }
  const shown = ids.slice(0, 10).join(', ');
  throw new ExplainError(`${name} is ambiguous: ${shown}${ids.length > 10 ? ', ...' : ''}`);
}

function endsWithName(id: string, name: string): boolean {
  return id.endsWith(`/${name}`) || id.endsWith(`.${name}`);
}

/** `pkg.(*T).M` as findings print it: `pkg.T.M`. */
function unparenthesized(id: string): string {
  return id.replace(/[()*]/g, '');
}

/** Up to five functions whose printed name is a small edit away from `name` (a typo, a wrong case). */
function nearNames(graph: CallGraph, name: string): string[] {
  const want = name.toLowerCase();
  const scored = new Map<string, number>();
  for (const f of graph.funcs) {
    const printed = unparenthesized(f.id);
    const tail = printed.slice(printed.lastIndexOf('/') + 1);
    const short = tail.slice(tail.indexOf('.') + 1);
    const candidate = want.includes('.') ? short : short.slice(short.lastIndexOf('.') + 1);
    const d = editDistance(want, candidate.toLowerCase());
    if (d <= Math.max(2, Math.floor(want.length / 4))) scored.set(short, Math.min(d, scored.get(short) ?? d));
  }
  return [...scored.entries()].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).slice(0, 5).map(([n]) => n);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** What `gohazard explain` prints: callees with how each was resolved, callers, unresolved sites. */
export function explainText(graph: CallGraph, fn: FuncNode, root: string, cwd: string): string {
  const where = (p: Pos, file = fn.file.path) => `${shownPath(root, cwd, file)}:${lineOf(p)}:${colOf(p)}`;
  const out: string[] = [`${fn.id}  (${where(fn.decl.span.start)})`];
  const captured = graph.captures(fn).map((s) => ('name' in s ? s.name : s.field));
  if (captured.length) out.push(`captures: ${captured.join(', ')}`);
  out.push('', 'calls:');
  const unresolved: string[] = [];
  const sites = graph.sites(fn);
  for (const s of sites) {
    const mode = s.mode === 'call' ? '' : `${s.mode} `;
    const head = `  ${where(s.call.pos)}  ${mode}${exprText(s.call.fn, true)}()`;
    if (s.info.kind === 'unresolved') unresolved.push(`${head}: ${s.info.reason}`);
    else out.push(...calleeLines(head, s.info));
  }
  if (sites.length === unresolved.length) out.push('  (none)');
  out.push('', 'called by:');
  const callers = graph.callers(fn);
  for (const c of callers) out.push(`  ${c.caller.id}  (${where(c.call.pos, c.caller.file.path)})  [${c.how}]`);
  if (callers.length === 0) out.push('  (none found)');
  out.push('', 'unresolved:', ...(unresolved.length ? unresolved : ['  (none)']));
  out.push(...schedulesText(graph, fn, (file) => shownPath(root, cwd, file)));
  return `${out.join('\n')}\n`;
}

/**
 * The explorer's verdicts for fn, each with its schedule: one column per goroutine (G0 is fn), one row per
 * step in the order it runs. Nothing when fn starts no goroutine and calls none that does.
 */
function schedulesText(graph: CallGraph, fn: FuncNode, shown: (file: string) => string): string[] {
  const model = new ModelBuilder(graph, new NoReturn(graph)).build(fn);
  if (!model || !hasGo(model.main.instrs)) return [];
  const result = search(model, STATE_BUDGET, [{ name: fn.id }]);
  const out = ['', `schedules (${result.states} states${result.cut ? ', cut by the budget' : ''}):`];
  if (!result.verdicts.length) out.push('  (no panic, deadlock or leak found)');
  for (const v of result.verdicts) {
    const where = `${shown(v.at.path)}:${v.at.line}`;
    out.push(`  ${v.kind} at ${where}${v.object ? ` (${v.object})` : ''}${v.assumptions.length ? `, assuming ${v.assumptions.join('; ')}` : ''}:`);
    const cols = Math.max(...v.schedule.map((st) => st.g), 0) + 1;
    const cell = (st: { at: { path: string; line: number }; text: string }) => `${shown(st.at.path).split('/').pop()}:${st.at.line} ${st.text}`;
    const width = Math.min(48, Math.max(12, ...v.schedule.map((st) => cell(st).length)));
    const row = (cells: string[]) => `    ${cells.map((c) => c.padEnd(width)).join(' | ').trimEnd()}`;
    out.push(row(Array.from({ length: cols }, (_, g) => `G${g}${g === 0 ? ` ${fn.id.slice(fn.id.lastIndexOf('/') + 1)}` : ''}`.slice(0, width))));
    for (const st of v.schedule) out.push(row(Array.from({ length: cols }, (_, g) => (g === st.g ? cell(st).slice(0, width) : ''))));
    for (const r of v.related) out.push(`    then: ${shown(r.at.path)}:${r.at.line} ${r.text}`);
  }
  return out;
}

function hasGo(instrs: readonly Instr[]): boolean {
  return instrs.some((i) => i.k === 'go' || ('body' in i && hasGo(i.body.instrs)) || (i.k === 'if' && (hasGo(i.then.instrs) || hasGo(i.else.instrs))));
}

function calleeLines(head: string, info: Exclude<CallInfo, { kind: 'unresolved' }>): string[] {
  switch (info.kind) {
    case 'resolved':
      return info.targets.map((t, i) => `${i === 0 ? head : ' '.repeat(head.length)} -> ${t.callee.id}  [${t.how}]`);
    case 'external':
      return [`${head} -> ${info.name}  [external]`];
    case 'builtin':
      return [`${head}  [builtin]`];
    case 'conversion':
      return [`${head}  [conversion]`];
  }
}

function shownPath(root: string, cwd: string, rel: string): string {
  const abs = path.join(root, rel);
  const r = path.relative(cwd, abs);
  return r.startsWith('..') ? abs : r;
}
