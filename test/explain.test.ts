import { describe, expect, it } from 'vitest';
import { cli, FIXTURES, tempTree } from './helpers.js';

describe('gohazard explain', () => {
  it('prints callees with how they were resolved, callers, and unresolved calls', () => {
    const r = cli(['explain', 'ingest.(*engineInfo).Clean', './ingest/...'], FIXTURES);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gohazard\.test\/fixtures\/ingest\/ingest\.\(\*engineInfo\)\.Clean {2}\(ingest\/ingest\/engine\.go:52:1\)$/m);
    expect(r.stdout).toContain('ingest/ingest/engine.go:56:7  en.Close() -> gohazard.test/fixtures/ingest/ingest.engine.Close  [promoted]');
    expect(r.stdout).toContain('engine.go:53:9  context.Background() -> context.Background  [external]');
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
    const r = cli(['explain', 'callgraph.Closures$1', './callgraph/...'], FIXTURES);
    expect(r.stdout).toMatch(/^gohazard\.test\/fixtures\/callgraph\.Closures\$1 .*\ncaptures: t\n/);
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
