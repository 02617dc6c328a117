import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, FIXTURES, tempTree } from './helpers.js';

describe('gohazard explain', () => {
  it('prints callees with how they were resolved, callers, and unresolved calls', () => {
    const r = cli(['explain', 'ingest.(*engineInfo).Clean', './ingest/...'], FIXTURES);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gohazard\.test\/fixtures\/ingest\/ingest\.\(\*engineInfo\)\.Clean {2}\(ingest\/ingest\/engine\.go:52:1\)$/m);
    expect(r.stdout).toContain('ingest/ingest/engine.go:57:6  ei.openedEngine.Close() -> gohazard.test/fixtures/ingest/ingest.engine.Close  [promoted]');
    expect(r.stdout).toContain('engine.go:56:9  context.Background() -> context.Background  [external]');
    expect(r.stdout).toMatch(/called by:\n {2}gohazard\.test\/fixtures\/ingest\/ingest\.\(\*backendCtx\)\.cleanEngines .*\[method\]/);
    expect(r.stdout).toMatch(/unresolved:\n {2}\(none\)\n$/);
  });

  it('lists unresolved call sites with their reason', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': 'package m\n\nfunc run(f func()) {\n\tf()\n}\n' });
    const r = cli(['explain', 'm.run'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('unresolved:\n  a.go:4:2  f(): call through a function parameter with no visible argument\n');
  });

  it('shows what a closure captures', () => {
    const r = cli(['explain', 'callgraph.Closures.func1', './callgraph/...'], FIXTURES);
    expect(r.stdout).toMatch(/^gohazard\.test\/fixtures\/callgraph\.Closures\.func1 .*\ncaptures: t\n/);
  });

  it('fails with one line for an unknown or ambiguous name', () => {
    const missing = cli(['explain', 'nosuch.Func', './ingest/...'], FIXTURES);
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: 'gohazard: no function named nosuch.Func in the analyzed packages\n' });
    const ambiguous = cli(['explain', 'Close', './ingest/...'], FIXTURES);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/^gohazard: Close is ambiguous: .*local\.\(\*Writer\)\.Close/);
    expect(ambiguous.stderr.split('\n')).toHaveLength(2);
  });
});

describe('names as Go prints them', () => {
  const dir = tempTree({
    'go.mod': 'module m\n',
    'a.go':
      'package m\n\nvar hook = func() {}\n\ntype Builder struct{}\n\n' +
      'func (b *Builder) Do() {\n\tfunc() {\n\t\tfunc() {}()\n\t}()\n\tgo func() {}()\n}\n\nfunc (b *Builder) Close() {}\n',
    'b.go': 'package m\n\nvar other = func() {}\n',
  });

  it('closures are outer.funcN, nested ones outer.funcN.M, package-level ones glob..funcN across files', () => {
    expect(cli(['explain', 'm.(*Builder).Do.func1.1'], dir).stdout).toMatch(/^m\.\(\*Builder\)\.Do\.func1\.1 {2}\(a\.go:9:3\)/);
    expect(cli(['explain', 'm.(*Builder).Do.func2'], dir).stdout).toMatch(/^m\.\(\*Builder\)\.Do\.func2 {2}\(a\.go:11:5\)/);
    expect(cli(['explain', 'm.glob..func2'], dir).stdout).toMatch(/^m\.glob\.\.func2 {2}\(b\.go:3:13\)/);
  });

  it('accepts the names findings print (Builder.Do.func2), and suggests near names for a typo', () => {
    expect(cli(['explain', 'Builder.Do.func2'], dir).stdout).toMatch(/^m\.\(\*Builder\)\.Do\.func2 /);
    expect(cli(['explain', 'Builder.Clsoe'], dir)).toMatchObject({
      code: 2,
      stderr: 'gohazard: no function named Builder.Clsoe in the analyzed packages; did you mean Builder.Close?\n',
    });
  });

  it('reads the config: "tests": false leaves _test.go files out', () => {
    const withTest = tempTree({ 'go.mod': 'module m\n', 'a_test.go': 'package m\n\nfunc helper() {}\n' });
    expect(cli(['explain', 'm.helper'], withTest).code).toBe(0);
    writeFileSync(path.join(withTest, '.gohazard.json'), '{"tests": false}');
    expect(cli(['explain', 'm.helper'], withTest).code).toBe(2);
  });
});
