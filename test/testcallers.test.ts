import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../dist/src/analyze.js';
import { FIXTURES } from './helpers.js';

// The fixtures' own test runs leave _test.go files out; what a program function's tests do to it is asked here,
// with them in: a test that cancels the context it hands a server's Run says nothing of the program's callers.
describe('test callers of a program function', () => {
  it('are named as an assumption, and do not make the goroutine left blocked an error', async () => {
    const r = await analyze({ patterns: ['./...'], cwd: path.join(FIXTURES, 'testctx'), tests: true, workers: 1 });
    const at = (line: number) => r.findings.filter((f) => path.basename(f.location.path) === 'main.go' && f.location.line === line);
    const [server] = at(49);
    expect(server?.severity).toBe('warning');
    expect(server?.assumptions?.map((a) => a.kind).sort()).toEqual(['failed-test', 'opaque-call']);
    expect(server?.message).toMatch(/test code cancels the context it hands `Serve` matters/);
    // The poller's batches time out in the program itself: no test is needed for its leak.
    expect(at(65).map((f) => f.severity)).toEqual(['error']);
  });

  it('of a library constructor leave the context an importer hands it to an assumption, and a call-scoped one an error', async () => {
    const r = await analyze({ patterns: ['./...'], cwd: path.join(FIXTURES, 'libctx'), tests: true, workers: 1 });
    const at = (line: number) => r.findings.filter((f) => path.basename(f.location.path) === 'libctx.go' && f.location.line === line);
    const [server] = at(35);
    expect(server?.severity).toBe('warning');
    expect(server?.assumptions?.map((a) => a.kind).sort()).toEqual(['failed-test', 'process-end']);
    expect(at(49).map((f) => f.severity)).toEqual(['error']);
  });
});
