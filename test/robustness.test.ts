import { describe, expect, it, vi } from 'vitest';
import { analyze } from '../dist/src/analyze.js';
import type { Rule } from '../dist/src/rule.js';
import { Binder } from '../dist/src/resolve/walk.js';
import { ALL_RULES } from '../dist/src/rules.js';
import { cli, diagnosticsOf, exported, tempTree } from './helpers.js';

/** Issue 14: inputs that used to lose the whole run. Each must cost at most the file or folder at fault. */

const closeTwice = (pkg: string, fn = 'f') => `package ${pkg}\n\nfunc ${exported(fn)}(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n`;

function noCrash(r: { code: number; stderr: string }): void {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect([0, 1]).toContain(r.code);
}

describe('package clauses', () => {
  it('ignores a `package documentation` file, as go/build does', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'cmd/main.go': `${closeTwice('main')}\nfunc main() { F(make(chan int)) }\n`, 'cmd/doc.go': '// Command x does y.\npackage documentation\n' });
    const r = cli(['check', '--no-cache', './...'], dir);
    noCrash(r);
    expect(r.stdout).toMatch(/^cmd\/main\.go:5:2: error: double-close/);
    expect(diagnosticsOf(r.stderr)).toBe('');
  });

  it('reports a folder whose files disagree, and analyzes the package most of them declare', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'p/a.go': closeTwice('p'), 'p/b.go': closeTwice('p', 'g'), 'p/c.go': closeTwice('q', 'h'), 'z/z.go': closeTwice('z') });
    const r = cli(['check', '--no-cache', './...'], dir);
    noCrash(r);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0])).toEqual(['p/a.go', 'p/b.go', 'z/z.go']);
    expect(diagnosticsOf(r.stderr)).toBe('gohazard: p: warning: found packages p (a.go and 1 more), q (c.go) in one folder; only package p is analyzed\n');
  });

  it('skips a file without a package clause with a warning', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'p/a.go': 'func F() {}\n', 'p/b.go': closeTwice('p') });
    const r = cli(['check', '--no-cache', './...'], dir);
    noCrash(r);
    expect(r.stdout).toMatch(/^p\/b\.go:5:2: error: double-close/);
    expect(diagnosticsOf(r.stderr)).toBe('gohazard: p/a.go: warning: skipped: no package clause\n');
  });

  it('analyzes two folders that claim one import path', () => {
    const dir = tempTree({ 'one/src/x/a.go': closeTwice('x'), 'two/src/x/a.go': closeTwice('x') });
    const r = cli(['check', '--no-cache', './...'], dir);
    noCrash(r);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0])).toEqual(['one/src/x/a.go', 'two/src/x/a.go']);
  });
});

describe('deep nesting', () => {
  const N = 3000;
  const deep: Record<string, string> = {
    loops: `func F(ch chan int) {\n${'for { close(ch)\n'.repeat(N)}${'}\n'.repeat(N)}}\n`,
    elseif: `func F(ch chan int, x int) {\nif x == 0 {\n}${Array.from({ length: N }, (_, i) => ` else if x == ${i + 1} { ch <- 1 }`).join('')}\n}\n`,
    stars: `var x ${'*'.repeat(N)}int\n`,
    funclits: `func F(ch chan int) {\n${'go func() { close(ch)\n'.repeat(N)}${'}()\n'.repeat(N)}}\n`,
    selectors: `type T struct{ a *T; ch chan int }\n\nfunc F(t *T) { close(t${'.a'.repeat(N)}.ch) }\n`,
  };

  it('is a warning for the file, and the rest of its package is still analyzed', () => {
    const files: Record<string, string> = { 'go.mod': 'module m\n' };
    for (const [name, body] of Object.entries(deep)) {
      files[`${name}/deep.go`] = `package ${name}\n\n${body}`;
      files[`${name}/plain.go`] = closeTwice(name, 'plain');
    }
    const r = cli(['check', '--no-cache', './...'], tempTree(files));
    noCrash(r);
    for (const name of Object.keys(deep)) {
      expect(r.stdout).toContain(`${name}/plain.go:5:2: error: double-close`);
      expect(r.stderr).toMatch(new RegExp(`^gohazard: ${name}/deep\\.go:\\d+:\\d+: warning: nested more than 400 levels deep; the deeper part is not analyzed`, 'm'));
    }
  });
});

describe('long chains across declarations', () => {
  it('of type definitions and aliases do not overflow the stack', () => {
    const N = 20000;
    const chain = (pkg: string, eq: string) =>
      `package ${pkg}\n\n${Array.from({ length: N }, (_, i) => `type T${i} ${eq}T${i + 1}\n`).join('')}type T${N} struct{ ch chan int }\n\nfunc F(t T0) {\n\tclose(t.ch)\n}\n`;
    const dir = tempTree({ 'go.mod': 'module m\n', 'defs/a.go': chain('defs', ''), 'defs/b.go': closeTwice('defs', 'g'), 'aliases/a.go': chain('aliases', '= ') });
    const r = cli(['check', '--no-cache', './...'], dir);
    noCrash(r);
    expect(diagnosticsOf(r.stderr)).toBe('');
    expect(r.stdout).toMatch(/^defs\/b\.go:5:2: error: double-close/m);
  });
});

describe('an internal error', () => {
  const tree = () =>
    tempTree({ 'go.mod': 'module m\n', 'bad/a.go': closeTwice('bad'), 'good/a.go': closeTwice('good'), 'good/b.go': closeTwice('good', 'g') });

  it('in a whole-program phase loses only the package it happened in, with an error naming it (the run is incomplete: exit 2)', async () => {
    // Stands in for any bug in binding, typing or facts, deep in the walk of a function of bad/.
    type Stmts = (body: unknown, scope: { file: { file: { path: string } } }) => void;
    const stmts = (Binder.prototype as unknown as { stmts: Stmts }).stmts;
    const spy = vi.spyOn(Binder.prototype as never, 'stmts' as never).mockImplementation(function (this: unknown, ...args: Parameters<Stmts>) {
      if (args[1].file.file.path.startsWith('bad/')) throw new TypeError("Cannot read properties of undefined (reading 'k')");
      return stmts.apply(this, args);
    } as never);
    try {
      const r = await analyze({ patterns: ['./...'], cwd: tree(), workers: 1 });
      expect(r.findings.map((f) => f.location.path)).toEqual(['good/a.go', 'good/b.go']);
      expect(r.diagnostics.map((d) => `${d.path}: ${d.severity}: ${d.message}`)).toEqual([
        "bad: error: internal error (Cannot read properties of undefined (reading 'k')) while analyzing bad/a.go: this folder's package is left out, the rest is analyzed; please report this bug",
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('in a rule loses only that rule', async () => {
    const broken: Rule = { meta: { ...ALL_RULES[0]!.meta, id: 'broken' }, run: () => { throw new Error('boom'); } };
    const r = await analyze({ patterns: ['./...'], cwd: tree(), workers: 1, rules: [broken, ...ALL_RULES] });
    expect(r.findings).toHaveLength(3);
    expect(r.diagnostics.map((d) => `${d.severity}: ${d.message}`)).toEqual(['error: internal error (boom) in rule broken: some of its findings may be missing; please report this bug']);
  });
});

describe('a file whose syntax errors make tree-sitter crawl', () => {
  it('is skipped once its parse runs over the time limit, and the next file parses from scratch', async () => {
    const { FileParser } = await import('../dist/src/parse/file.js');
    const { DEFAULT_TARGET } = await import('../dist/src/load/buildtags.js');
    // A long literal inside a mangled signature: error recovery is quadratic in it (1.5 s unbounded).
    const slow = `package p\n\nfunc f(st pb.Hvar huge = []int{${'1,'.repeat(10_000)}1}\n`;
    const dir = tempTree({ 'slow.go': slow, 'ok.go': closeTwice('p') });
    const parser = new FileParser({ target: DEFAULT_TARGET, maxFileBytes: 1 << 22, parseTimeLimitMs: () => 100 });
    const started = Date.now();
    const skipped = parser.parse({ abs: `${dir}/slow.go`, rel: 'slow.go' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(skipped).toEqual({ kind: 'skipped', reason: expect.stringMatching(/^parsing took longer than 0.1 s \(tree-sitter's error recovery/) });
    const next = parser.parse({ abs: `${dir}/ok.go`, rel: 'ok.go' });
    expect(next.kind).toBe('summary');
    expect(JSON.parse((next as { json: string }).json)).toMatchObject({ packageName: 'p', funcs: [{ name: 'F' }] });
  });
});
