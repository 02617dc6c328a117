import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempTree } from './helpers.js';
import { multitoolErrors, schemaErrors } from './sarif-validate.js';

const HAZARD = 'package m\n\nfunc f(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';

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
    const noTests = runStep(dir, { GOHAZARD_ARGS: '--no-tests', GOHAZARD_FORMAT: 'text' });
    expect(noTests.stdout).toBe('a.go:5:2: error: double-close: ch may already be closed (line 4): close of closed channel panics [high confidence]\n');
  });

  it('action.yml passes every input to the step, runs action/run.sh, and ends with gohazard\'s exit code', () => {
    const yml = readFileSync(path.join(REPO, 'action.yml'), 'utf8');
    const inputs = [...(yml.split('\noutputs:')[0] ?? '').matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]);
    expect(inputs).toEqual(['patterns', 'working-directory', 'format', 'new-from-rev', 'baseline', 'fail-on', 'sarif-file', 'upload-sarif', 'sarif-category', 'args']);
    for (const name of inputs) expect(yml, name).toContain(`inputs.${name}`);
    expect(yml).toContain(`run: '"$GITHUB_ACTION_PATH/action/run.sh"'`);
    expect(yml).toContain('uses: github/codeql-action/upload-sarif@v3');
    expect(yml).toMatch(/run: exit "\$\{\{ steps\.check\.outputs\.exit-code \}\}"\n$/);
  });
});
