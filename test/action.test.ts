import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempTree } from './helpers.js';
import { multitoolErrors, schemaErrors } from './sarif-validate.js';

const HAZARD = 'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';

/** The action's check step as a runner runs it: action/run.sh with the inputs as environment variables. */
function runStep(cwd: string, inputs: Record<string, string>) {
  const dir = tempTree({ 'github_output': '' });
  const output = path.join(dir, 'github_output');
  const r = spawnSync(path.join(REPO, 'action', 'run.sh'), [], { cwd, encoding: 'utf8', env: { ...process.env, CI: '', ...inputs, GITHUB_OUTPUT: output } });
  const outputs = Object.fromEntries(
    readFileSync(output, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs };
}

describe('GitHub Action (action.yml)', () => {
  it('check step: annotations in the log, SARIF written for the upload, exit code as an output (the step itself passes)', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const sarif = path.join(dir, 'out', 'gohazard.sarif');
    execFileSync('mkdir', ['-p', path.dirname(sarif)]);
    const r = runStep(dir, { GOHAZARD_PATTERNS: './...', GOHAZARD_SARIF_FILE: sarif, GOHAZARD_SARIF_CATEGORY: 'go' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^::error file=a\.go,line=5,col=2,title=gohazard double-close::/);
    expect(r.outputs).toEqual({ 'exit-code': '1', 'sarif-file': sarif });
    const text = readFileSync(sarif, 'utf8');
    expect(JSON.parse(text).runs[0].automationDetails).toEqual({ id: 'go/' });
    expect(schemaErrors(JSON.parse(text))).toEqual([]);
    expect(multitoolErrors(text)).toEqual([]);
  });

  it('check step: new-from-rev, fail-on and extra args reach gohazard', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD, 'a_test.go': HAZARD.replace('func f', 'func t') });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'one');
    expect(runStep(dir, { GOHAZARD_NEW_FROM_REV: 'HEAD' }).outputs).toEqual({ 'exit-code': '0' });
    expect(runStep(dir, { GOHAZARD_FAIL_ON: 'none' }).outputs).toEqual({ 'exit-code': '0' });
    // Without the input, the project's config decides; the input, when given, wins over it.
    writeFileSync(path.join(dir, '.gohazard.json'), '{"failOn": "none"}');
    expect(runStep(dir, {}).outputs).toEqual({ 'exit-code': '0' });
    expect(runStep(dir, { GOHAZARD_FAIL_ON: 'error' }).outputs).toEqual({ 'exit-code': '1' });
    writeFileSync(path.join(dir, '.gohazard.json'), '{}');
    const noTests = runStep(dir, { GOHAZARD_ARGS: '--no-tests', GOHAZARD_FORMAT: 'text' });
    expect(noTests.stdout).toBe('a.go:5:2: error: double-close: ch may already be closed (line 4): close of closed channel panics [high confidence]\n');
  });

  it('action.yml passes every input to the step, runs action/run.sh, and ends with gohazard\'s exit code', () => {
    const yml = readFileSync(path.join(REPO, 'action.yml'), 'utf8');
    const inputs = [...(yml.split('\noutputs:')[0] ?? '').matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]);
    expect(inputs).toEqual(['patterns', 'working-directory', 'format', 'new-from-rev', 'baseline', 'fail-on', 'sarif-file', 'upload-sarif', 'sarif-category', 'args', 'job-summary']);
    for (const name of inputs) expect(yml, name).toContain(`inputs.${name}`);
    expect(yml).toContain(`run: '"$GITHUB_ACTION_PATH/action/run.sh"'`);
    expect(yml).toContain('uses: github/codeql-action/upload-sarif@v3');
    expect(yml).toMatch(/run: exit "\$\{\{ steps\.check\.outputs\.exit-code \}\}"\n$/);
  });

  it('action.yml caches the install by lockfile, and on a hit only builds', () => {
    const yml = readFileSync(path.join(REPO, 'action.yml'), 'utf8');
    expect(yml).toMatch(/uses: actions\/cache@v4\n\s+with:\n\s+path: \$\{\{ github\.action_path \}\}\/node_modules\n\s+key: \$\{\{ steps\.key\.outputs\.key \}\}/);
    expect(yml).toContain('sha256sum "$GITHUB_ACTION_PATH/package-lock.json"');
    expect(yml).toContain('if [ "$CACHE_HIT" = true ]; then npm run build; else npm ci');
  });

  it('from a subfolder of the repository: summary, SARIF and annotations all name files from the repository root', () => {
    const top = realpathSync(tempTree({ 'README.md': 'repo\n', 'services/api/go.mod': 'module m\n', 'services/api/a.go': HAZARD }));
    execFileSync('git', ['init', '-q'], { cwd: top });
    const sub = path.join(top, 'services', 'api');
    const summary = path.join(top, '..', `summary-${path.basename(top)}.md`);
    writeFileSync(summary, '');
    const sarif = path.join(top, '..', `out-${path.basename(top)}.sarif`);
    const r = runStep(sub, {
      GOHAZARD_SARIF_FILE: sarif,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_REPOSITORY: 'octo/repo',
      GITHUB_SHA: '0123abcd',
      GITHUB_SERVER_URL: 'https://github.com',
    });
    expect(r.outputs['exit-code']).toBe('1');
    expect(r.stdout).toMatch(/^::error file=services\/api\/a\.go,line=5,col=2,title=gohazard double-close::/);
    expect(JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('services/api/a.go');
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain('## gohazard: 1 finding (1 error)');
    expect(md).toContain('| `double-close` | 1 |');
    expect(md).toContain('| error | [services/api/a.go:5](https://github.com/octo/repo/blob/0123abcd/services/api/a.go#L5) | `double-close` |');
  });

  it('a clean run says so in the summary, and job-summary: false writes none', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': 'package m\n' });
    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '');
    runStep(dir, { GITHUB_STEP_SUMMARY: summary });
    expect(readFileSync(summary, 'utf8')).toBe('## gohazard: no findings\n\n');
    writeFileSync(summary, '');
    runStep(dir, { GITHUB_STEP_SUMMARY: summary, GOHAZARD_JOB_SUMMARY: 'false' });
    expect(readFileSync(summary, 'utf8')).toBe('');
  });
});
