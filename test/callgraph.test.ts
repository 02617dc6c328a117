import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalysisResult } from '../dist/src/analyze.js';
import { lineOf, type Expr } from '../dist/src/ir.js';
import type { CallGraph, FuncNode } from '../dist/src/resolve/callgraph.js';
import { typeString, type Type } from '../dist/src/resolve/types.js';
import { FIXTURES } from './helpers.js';

const M = 'gohazard.test/fixtures';
const INGEST = `${M}/ingest`;
const CASES = `${M}/callgraph`;

let result: AnalysisResult;
let graph: CallGraph;

beforeAll(async () => {
  result = await analyze({ patterns: ['./ingest/...', './callgraph/...'], cwd: FIXTURES, workers: 2 });
  graph = result.graph;
});

function fn(id: string): FuncNode {
  const f = graph.byId.get(id);
  if (!f) throw new Error(`no function ${id}`);
  return f;
}

/** Every edge out of a function as `line: callee [how]`, plus `go`/`defer` marks. */
function edges(id: string): string[] {
  return graph.sites(fn(id)).flatMap((s) => {
    const mode = s.mode === 'call' ? '' : `${s.mode} `;
    switch (s.info.kind) {
      case 'resolved':
        return s.info.targets.map((t) => `${lineOf(s.call.pos)}: ${mode}${t.callee.id} [${t.how}]`);
      case 'external':
        return [`${lineOf(s.call.pos)}: ${mode}${s.info.name} [external]`];
      case 'unresolved':
        return [`${lineOf(s.call.pos)}: unresolved: ${s.info.reason}`];
      default:
        return [];
    }
  });
}

function targets(id: string, line: number): string[] {
  return edges(id)
    .filter((e) => e.startsWith(`${line}: `))
    .map((e) => e.slice(`${line}: `.length));
}

describe('call graph: the model case, hop by hop', () => {
  // Each row: caller, callee, how. Together they are the path from a DDL rollback to both the
  // close of the engine's channel and the send on it.
  const chain: [string, string, string][] = [
    [`${INGEST}/ddl.RollbackIndexJob`, `${INGEST}/ingest.(*litBackendCtxMgr).Unregister`, 'interface'],
    [`${INGEST}/ingest.(*litBackendCtxMgr).Unregister`, `${INGEST}/ingest.(*backendCtx).cleanEngines`, 'method'],
    [`${INGEST}/ingest.(*backendCtx).cleanEngines`, `${INGEST}/ingest.(*engineInfo).Clean`, 'method'],
    [`${INGEST}/ingest.(*engineInfo).Clean`, `${INGEST}/ingest.engine.Close`, 'promoted'],
    [`${INGEST}/ingest.engine.Close`, `${INGEST}/backend/local.(*Backend).CloseEngine`, 'interface'],
    [`${INGEST}/backend/local.(*Backend).CloseEngine`, `${INGEST}/backend/local.(*engineMgr).closeEngine`, 'method'],
    [`${INGEST}/ingest.(*engineInfo).Clean`, `${INGEST}/ingest.(*engineInfo).closeWriters`, 'method'],
    [`${INGEST}/ingest.(*engineInfo).closeWriters`, `${INGEST}/backend.(*SyncMap).Load`, 'method'],
    [`${INGEST}/ingest.(*engineInfo).closeWriters`, `${INGEST}/backend/local.(*Writer).Close`, 'interface'],
    [`${INGEST}/backend/local.(*Writer).Close`, `${INGEST}/backend/local.(*Writer).flush`, 'method'],
    [`${INGEST}/backend/local.(*Writer).flush`, `${INGEST}/backend/local.(*Writer).flushKVs`, 'method'],
    [`${INGEST}/backend/local.(*Writer).flushKVs`, `${INGEST}/backend/local.(*Writer).addSST`, 'method'],
    [`${INGEST}/backend/local.(*Writer).addSST`, `${INGEST}/backend/local.(*Engine).addSST`, 'method'],
  ];
  for (const [from, to, how] of chain) {
    it(`${from.slice(M.length + 1)} -> ${to.slice(M.length + 1)} [${how}]`, () => {
      expect(edges(from).map((e) => e.replace(/^\d+: /, ''))).toContain(`${to} [${how}]`);
      expect(graph.callers(fn(to)).some((c) => c.caller.id === from && c.how === how)).toBe(true);
    });
  }

  it('dispatches interface calls to every instantiated implementer, and only those (RTA)', () => {
    expect(targets(`${INGEST}/ingest.engine.Close`, 18).sort()).toEqual([
      `${INGEST}/backend/local.(*Backend).CloseEngine [interface]`,
      `${INGEST}/backend/mock.(*Backend).CloseEngine [interface]`,
      `${INGEST}/backend/remote.(*Backend).CloseEngine [interface]`,
    ]);
    // backend.NopWriter implements EngineWriter but is never made: it is left out.
    expect(targets(`${INGEST}/ingest.(*engineInfo).closeWriters`, 77).sort()).toEqual([
      `${INGEST}/backend/local.(*Writer).Close [interface]`,
      `${INGEST}/backend/local.(*dupWriter).Close [interface]`,
      `${INGEST}/backend/mock.(*Writer).Close [interface]`,
      `${INGEST}/backend/remote.(*Writer).Close [interface]`,
    ]);
  });

  it('gives the closed and the sent-on channel the same storage', () => {
    const storages: unknown[] = [];
    const closer = fn(`${INGEST}/backend/local.(*engineMgr).closeEngine`);
    const sender = fn(`${INGEST}/backend/local.(*Engine).addSST`);
    for (const s of closer.decl.body ?? []) {
      if (s.k === 'expr' && s.x.k === 'call' && s.x.fn.k === 'id' && s.x.fn.name === 'close') storages.push(graph.storageOf(closer, s.x.args[0]!));
    }
    for (const s of sender.decl.body ?? []) {
      if (s.k === 'select') for (const c of s.cases) if (c.kind === 'send') storages.push(graph.storageOf(sender, c.ch));
    }
    const metaCh = { kind: 'field', owner: `${INGEST}/backend/local.Engine`, field: 'metaCh' };
    expect(storages).toEqual([metaCh, metaCh]);
  });

  it('resolves every call site of the model case', () => {
    const unresolved = graph.funcs.filter((f) => f.id.startsWith(INGEST)).flatMap((f) => edges(f.id).filter((e) => e.includes('unresolved')));
    expect(unresolved).toEqual([]);
  });
});

describe('light type inference: one case per function of fixtures/callgraph', () => {
  const T = `${CASES}.(*T).Ptr [method]`;
  const V = `${CASES}.T.Val [method]`;
  const cases: [string, number, string][] = [
    ['(*T).ParamRecv', 88, T],
    ['(*T).ParamRecv', 89, V],
    ['NamedResult', 94, T],
    ['VarDecl', 101, T],
    ['Literals', 109, V],
    ['Literals', 111, T],
    ['Literals', 114, T],
    ['MultiValue', 121, T],
    ['Assertions', 127, T],
    ['Assertions', 129, T],
    ['Assertions', 133, `${CASES}.(*Inner).Deep [method]`],
    ['Assertions', 135, V],
    ['Fields', 141, T],
    ['Fields', 142, `${CASES}.(*Inner).Deep [promoted]`],
    ['Fields', 144, `${CASES}.(*Inner).Deep [promoted]`],
    ['Elements', 149, T],
    ['Elements', 150, V],
    ['Elements', 151, T],
    ['Elements', 153, T],
    ['Elements', 156, V],
    ['Elements', 159, T],
    ['Closures', 173, `${CASES}.Closures.func1 [closure]`],
    ['Closures', 175, `${CASES}.Closures.func2 [func-value]`],
    ['Closures', 176, `go ${CASES}.Closures.func2 [func-value]`],
    ['Closures', 177, `defer ${T}`],
    ['FuncValues', 183, `${CASES}.helper [func-value]`],
    ['FuncValues', 184, `${CASES}.glob..func1 [func-value]`],
    ['FuncValues', 186, `${CASES}.(*T).Ptr [method-value]`],
    ['apply', 190, `${CASES}.helper [func-value]`],
    ['Dispatch', 194, `${CASES}.Square.Name [interface]`],
    ['Dispatch', 195, `${CASES}.Square.Size [interface]`],
    ['Imports', 203, `${CASES}/lib.Dotted [static]`],
    ['Imports', 205, `${CASES}/lib.(*Conn).Ping [method]`],
    ['Stdlib', 210, 'sync.(*Mutex).Lock [external]'],
    ['Stdlib', 211, 'defer sync.(*Mutex).Unlock [external]'],
    ['Stdlib', 212, 'sync.(*WaitGroup).Wait [external]'],
    ['Stdlib', 214, 'sync.(*Once).Do [external]'],
    ['Stdlib', 216, 'defer context.CancelFunc [external]'],
    ['Stdlib', 217, 'context.Context.Done [external]'],
    ['Grouped', 227, T],
    ['Table', 233, `${CASES}.helper [func-value]`],
    ['lib.RunHook', 20, `${CASES}.helper [func-value]`],
    ['Results', 249, 'defer context.CancelFunc [external]'],
    ['Results', 252, `${CASES}.helper [func-value]`],
    ['Conversions', 11, T],
    ['Conversions', 12, V],
    ['Conversions', 14, 'os/exec.(*ExitError).ExitCode [external]'],
  ];
  for (const [func, line, want] of cases) {
    it(`${func}, line ${line}: ${want}`, () => {
      const id = func.startsWith('lib.') ? `${CASES}/${func}` : `${CASES}.${func}`;
      expect(targets(id, line)).toEqual([want]);
    });
  }

  it('substitutes type arguments: Box[*T].Get and First[E] give *T', () => {
    expect(targets(`${CASES}.Generics`, 165)).toEqual([`${CASES}.(*Box).Get [method]`, T]);
    expect(targets(`${CASES}.Generics`, 166)).toEqual([`${CASES}.First [static]`, T]);
    expect(targets(`${CASES}.Generics`, 167)).toEqual([`${CASES}.First [static]`, T]);
  });

  it('follows an aliased import to a function and its result type', () => {
    expect(targets(`${CASES}.Imports`, 202)).toEqual([`${CASES}/lib.Dial [static]`, `${CASES}/lib.(*Conn).Ping [method]`]);
  });

  it('takes a called (*pkg.T) of a package outside the checkout as a conversion, not a call of an unknown function', () => {
    expect(targets(`${CASES}.Conversions`, 13)).toEqual(['errors.As [external]']);
    expect(graph.sites(fn(`${CASES}.Conversions`)).filter((s) => s.info.kind === 'conversion').map((s) => lineOf(s.call.pos))).toEqual([11, 12, 13]);
  });

  it('recognises stdlib calls by import path and name', () => {
    expect(targets(`${CASES}.Stdlib`, 215)).toEqual(['context.Background [external]', 'context.WithCancel [external]']);
  });

  it('types the values of a generic map by its type arguments', () => {
    const closeWriters = fn(`${INGEST}/ingest.(*engineInfo).closeWriters`);
    const w = findId(closeWriters.decl.body ?? [], 'w');
    expect(w && typeString(graph.typeOf(closeWriters, w) as Type)).toBe(`${INGEST}/backend.EngineWriter`);
  });

  it('marks go and defer on caller edges too', () => {
    const modes = graph.callers(fn(`${CASES}.Closures.func2`)).map((c) => `${lineOf(c.call.pos)} ${c.mode}`);
    expect(modes).toEqual(['175 call', '176 go']);
  });

  it('gives closures their own node and keeps captured variables in the declaring function', () => {
    const lit = fn(`${CASES}.Closures.func1`);
    const t = findId(lit.decl.body ?? [], 't');
    expect(t && graph.storageOf(lit, t)).toEqual({ kind: 'local', fn: `${CASES}.Closures`, name: 't' });
    expect(graph.captures(lit)).toEqual([{ kind: 'local', fn: `${CASES}.Closures`, name: 't' }]);
    expect(graph.captures(fn(`${CASES}.Closures`))).toEqual([]);
  });

  it('counts resolution statistics', () => {
    const c = result.stats.calls;
    expect(c.total).toBe(c.static + c.interface + c.funcValue + c.external + c.builtin + c.conversion + c.unresolved);
    expect(c.unresolved).toBe(0);
    expect(c.interface).toBeGreaterThanOrEqual(5);
  });
});

/** The first identifier named `name` used in statements (depth-first, source order). */
function findId(body: unknown, name: string): Expr | undefined {
  if (Array.isArray(body)) {
    for (const x of body) {
      const found = findId(x, name);
      if (found) return found;
    }
    return undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  if (o.k === 'id' && o.name === name) return o as unknown as Expr;
  for (const v of Object.values(o)) {
    const found = findId(v, name);
    if (found) return found;
  }
  return undefined;
}

describe('function names in messages', () => {
  it('cuts at the import path, which may hold dots after its last slash', async () => {
    const { shortName } = await import('../dist/src/facts/names.js');
    const node = (id: string, importPath: string) => ({ id, pkg: { importPath } }) as unknown as FuncNode;
    expect(shortName(node('gopkg.in/yaml.v3.(*Decoder).Decode', 'gopkg.in/yaml.v3'))).toBe('Decoder.Decode');
    expect(shortName(node('example.com/m/pkg.Run.func2', 'example.com/m/pkg'))).toBe('Run.func2');
    expect(shortName(node('main.glob..func1', 'main'))).toBe('glob..func1');
  });
});
