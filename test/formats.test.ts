import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempTree } from './helpers.js';

const HAZARD = 'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';
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

  it('a report file in a folder that does not exist yet: the folder is made (a CI step names reports/ before any run)', () => {
    expect(cli(['check', '--format', 'sarif:reports/ci/gohazard.sarif'], dir).code).toBe(1);
    expect(JSON.parse(readFileSync(path.join(dir, 'reports/ci/gohazard.sarif'), 'utf8')).runs[0].results).toHaveLength(1);
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

  it('--color always paints the severity, path and rule; --source-lines always prints the line and a caret under the column', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD.replace('\tclose(ch)\n}', '\tx := 1; close(ch)\n\t_ = x\n}') });
    const plain = cli(['check', '--source-lines', 'always'], dir).stdout;
    expect(plain).toBe(`a.go:5:10: error: double-close: ${MESSAGE}\n    \tx := 1; close(ch)\n    \t        ^\n`);
    const painted = cli(['check', '--color', 'always'], dir).stdout;
    expect(painted).toBe(`\x1b[1ma.go:5:10:\x1b[0m \x1b[1;31merror:\x1b[0m \x1b[2mdouble-close:\x1b[0m ${MESSAGE}\n`);
    expect(cli(['check', '--color', 'never', '--source-lines', 'never'], dir).stdout).toBe(`a.go:5:10: error: double-close: ${MESSAGE}\n`);
    expect(cli(['check', '--color', 'sometimes'], dir).code).toBe(2);
  });

  it('colour: --color decides; on auto NO_COLOR says no, FORCE_COLOR yes, else only a terminal', async () => {
    const { colorWanted } = await import('../dist/src/report/text.js');
    expect(colorWanted('auto', true, {})).toBe(true);
    expect(colorWanted('auto', false, {})).toBe(false);
    expect(colorWanted('auto', true, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted('auto', true, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted('auto', false, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted('auto', true, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorWanted('always', false, { NO_COLOR: '1' })).toBe(true);
    expect(colorWanted('never', true, { FORCE_COLOR: '1' })).toBe(false);
  });

  it('escapes control characters in paths: a newline or an escape sequence in a file name cannot split a finding or drive the terminal', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'x\ny\x1b[31m.go': HAZARD });
    const r = cli(['check'], dir);
    expect(r.stdout).toBe(`x\\ny\\x1b[31m.go:5:2: error: double-close: ${MESSAGE}\n`);
  });
});
