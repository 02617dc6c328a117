import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempTree } from './helpers.js';

const HAZARD = 'package m\n\nfunc f(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';
const MESSAGE = 'ch may already be closed (line 4): close of closed channel panics [high confidence]';

describe('checkstyle, junit-xml and code-climate', () => {
  // A folder name XML must escape.
  const dir = tempTree({ 'go.mod': 'module m\n', 'a&b/a.go': HAZARD.replace('package m', 'package ab') });

  it('checkstyle: one <file> per file, one <error> per finding, escaped', () => {
    expect(cli(['check', '-f', 'checkstyle'], dir).stdout).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<checkstyle version="5.0">\n  <file name="a&amp;b/a.go">\n' +
        `    <error line="5" column="2" severity="error" message="${MESSAGE}" source="gohazard.double-close"></error>\n` +
        '  </file>\n</checkstyle>\n',
    );
  });

  it('junit-xml: one suite per file, one failed test case per finding', () => {
    expect(cli(['check', '-f', 'junit-xml'], dir).stdout).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gohazard" tests="1" failures="1">\n' +
        '  <testsuite name="a&amp;b/a.go" tests="1" errors="0" failures="1">\n' +
        '    <testcase name="double-close" classname="a&amp;b/a.go:5:2">\n' +
        `      <failure message="a&amp;b/a.go:5:2: ${MESSAGE}" type="error">error: double-close: ${MESSAGE}</failure>\n` +
        '    </testcase>\n  </testsuite>\n</testsuites>\n',
    );
  });

  it('code-climate: GitLab issues with paths from the repository root, also run from a subfolder', () => {
    const repo = tempTree({ 'svc/go.mod': 'module m\n', 'svc/a.go': HAZARD });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const issues = JSON.parse(cli(['check', '-f', 'code-climate'], path.join(repo, 'svc')).stdout);
    expect(issues).toEqual([
      {
        type: 'issue',
        check_name: 'double-close',
        description: `double-close: ${MESSAGE}`,
        categories: ['Bug Risk'],
        severity: 'critical',
        fingerprint: expect.stringMatching(/^[0-9a-f]{32}:1$/),
        location: { path: 'svc/a.go', lines: { begin: 5 } },
      },
    ]);
  });

  it('several reports in one run: --format name:file, at most one on stdout', () => {
    const r = cli(['check', '--format', 'text', '--format', 'code-climate:cq.json', '--format', 'checkstyle:cs.xml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`a&b/a.go:5:2: error: double-close: ${MESSAGE}\n`);
    expect(JSON.parse(readFileSync(path.join(dir, 'cq.json'), 'utf8'))).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'cs.xml'), 'utf8')).toContain('<checkstyle version="5.0">');
    expect(cli(['check', '-f', 'json', '-f', 'text'], dir)).toMatchObject({
      code: 2,
      stderr: 'gohazard: error: json and text would both go to stdout: give all but one a file (--format name:file)\n',
    });
    expect(cli(['check', '-f', 'xml'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown format "xml"') });
  });
});

describe('text on a terminal', () => {
  it('wraps a long finding between words, continued with an indent; a word longer than a line stays whole', async () => {
    const { wrap } = await import('../dist/src/report/text.js');
    const line = 'a.go:5:2: error: send-after-close: send on Engine.metaCh after it may be closed: Engine.Clean closes it at engine.go:15';
    expect(wrap(line, 60)).toBe(
      'a.go:5:2: error: send-after-close: send on Engine.metaCh\n    after it may be closed: Engine.Clean closes it at\n    engine.go:15',
    );
    expect(wrap(line, 200)).toBe(line);
    expect(wrap(`x ${'y'.repeat(70)} z`, 50)).toBe(`x\n    ${'y'.repeat(70)}\n    z`);
  });
});
