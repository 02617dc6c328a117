import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { analyze } from '../dist/src/analyze.js';
import { CONFIG_KEYS, loadConfig } from '../dist/src/config.js';
import { excludeMatcher } from '../dist/src/gate/glob.js';
import { lineOf } from '../dist/src/ir.js';
import type { Rule } from '../dist/src/rule.js';
import { doubleClose } from '../dist/rules/double-close.js';
import { cli, diagnosticsOf, exported, REPO, tempTree } from './helpers.js';
import { multitoolErrors, schemaErrors } from './sarif-validate.js';

const GO_MOD = 'module m\n';
/** A double close in function `name`: the finding is on line 5 (or 5 + the lines above it). */
const hazard = (name: string, above = '') => `package m\n${above}\nfunc ${exported(name)}(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n`;
const json = (args: string[], cwd: string) => JSON.parse(cli(['check', '--format', 'json', ...args], cwd).stdout);

describe('fingerprints', () => {
  it('survive unrelated lines inserted above the finding', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f') });
    const before = json([], dir).findings[0];
    writeFileSync(path.join(dir, 'a.go'), hazard('f', '\nimport "fmt"\n\nvar _ = fmt.Sprint\n\n// f closes twice.'));
    const after = json([], dir).findings[0];
    expect(after.location.line).toBe(before.location.line + 5);
    expect(after.fingerprint).toBe(before.fingerprint);
  });

  it('differ for the same hazard in another function', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), 'b.go': hazard('g') });
    const [a, b] = json([], dir).findings;
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});

describe('--fail-on and --max-findings', () => {
  const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), 'b.go': hazard('g') });

  it('fails on error findings by default; a lower severity passes unless --fail-on asks for it', () => {
    expect(cli(['check'], dir).code).toBe(1);
    writeFileSync(path.join(dir, '.gohazard.json'), '{ "rules": { "double-close": "warning" } }');
    try {
      expect(cli(['check'], dir).code).toBe(0);
      const passed = cli(['check'], dir);
      expect(passed.stdout).toMatch(/^a\.go:5:2: warning: double-close/);
      expect(passed.stderr).toBe('gohazard: 2 findings: 2 warnings (double-close 2); exit 0: none at or above --fail-on error\n');
      expect(cli(['check', '--fail-on', 'warning'], dir).code).toBe(1);
      expect(cli(['check', '--fail-on', 'note'], dir).code).toBe(1);
    } finally {
      writeFileSync(path.join(dir, '.gohazard.json'), '{}');
    }
    expect(cli(['check', '--fail-on', 'none'], dir).code).toBe(0);
    expect(cli(['check', '--fail-on', 'fatal'], dir).code).toBe(2);
  });

  it('a hazard in test code is a warning unless testCodeSeverity raises it; a rule level set in the config is capped too', () => {
    const tree = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), 'a_test.go': hazard('g', 'import "testing"\n\nfunc TestG(t *testing.T) { G(make(chan int)) }\n') });
    const levels = (config: string) => {
      writeFileSync(path.join(tree, '.gohazard.json'), config);
      return json([], tree).findings.map((f: { location: { path: string }; severity: string; testCode?: boolean }) => `${f.location.path} ${f.severity} ${f.testCode ?? false}`);
    };
    expect(levels('{}')).toEqual(['a.go error false', 'a_test.go warning true']);
    expect(levels('{"rules": {"double-close": "error"}}')).toEqual(['a.go error false', 'a_test.go warning true']);
    expect(levels('{"testCodeSeverity": "error"}')).toEqual(['a.go error false', 'a_test.go error true']);
    expect(levels('{"testCodeSeverity": "note", "rules": {"double-close": "warning"}}')).toEqual(['a.go warning false', 'a_test.go note true']);
  });

  it('--max-findings fails only when the count goes above it', () => {
    expect(cli(['check', '--fail-on', 'none', '--max-findings', '2'], dir).code).toBe(0);
    expect(cli(['check', '--fail-on', 'none', '--max-findings', '1'], dir)).toMatchObject({
      code: 1,
      stderr: 'gohazard: 2 findings: 2 errors (double-close 2); exit 1: 2 findings exceed --max-findings 1\n',
    });
    expect(cli(['check', '--max-findings', '-1'], dir).code).toBe(2);
  });
});

describe('baseline', () => {
  it('round trip: write, then only new findings are reported, and fixed ones are counted', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), 'b.go': hazard('g') });
    const w = cli(['check', '--write-baseline', '.gohazard-baseline.json'], dir);
    expect(w.code).toBe(0);
    expect(w.stderr).toBe('gohazard: wrote 2 findings to the baseline .gohazard-baseline.json\ngohazard: 2 findings: 2 errors (double-close 2); exit 0: a baseline was written\n');
    const baseline = JSON.parse(readFileSync(path.join(dir, '.gohazard-baseline.json'), 'utf8'));
    expect(baseline.version).toBe(1);
    expect(baseline.findings.map((f: { path: string }) => f.path)).toEqual(['a.go', 'b.go']);

    const same = cli(['check', '--baseline', '.gohazard-baseline.json'], dir);
    expect(same).toMatchObject({ code: 0, stdout: '', stderr: 'gohazard: baseline .gohazard-baseline.json: 2 findings hidden\n' });

    // Lines move, one hazard is fixed, a new one appears.
    writeFileSync(path.join(dir, 'a.go'), hazard('f', '\n// moved down\n'));
    writeFileSync(path.join(dir, 'b.go'), 'package m\n');
    writeFileSync(path.join(dir, 'c.go'), hazard('h'));
    const r = cli(['check', '--baseline', '.gohazard-baseline.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('c.go:5:2: error: double-close: ch may already be closed (line 4): close of closed channel panics [high confidence]\n');
    expect(r.stderr).toContain('1 finding hidden');
    expect(r.stderr).toContain('1 baselined finding no longer found; shrink it with --write-baseline');
  });

  it('--stats counts the findings reported, and those suppressed or in the baseline apart', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'b.go': hazard('g') });
    cli(['check', '--write-baseline', 'base.json'], dir);
    writeFileSync(path.join(dir, 'a.go'), hazard('f').replace('\tclose(ch)\n}', '\tclose(ch) //gohazard:ignore double-close reset by the caller\n}'));
    writeFileSync(path.join(dir, 'c.go'), hazard('h'));
    const r = cli(['check', '--baseline', 'base.json', '--stats'], dir);
    expect(r.stdout).toMatch(/^c\.go:5:2: error: double-close[^\n]*\n$/);
    expect(r.stderr).toContain('gohazard: findings: 1 (1 suppressed, 1 in the baseline)\n');
    expect(cli(['check', '--stats'], dir).stderr).toContain('gohazard: findings: 2 (1 suppressed)\n');
  });

  it('a missing or malformed baseline: one line, exit 2', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), 'bad.json': '{"version": 7}', 'broken.json': '{' });
    expect(cli(['check', '--baseline', 'nope.json'], dir)).toMatchObject({ code: 2, stdout: '', stderr: 'gohazard: error: nope.json: cannot read the baseline: no such file\n' });
    expect(cli(['check', '--baseline', 'bad.json'], dir).stderr).toBe('gohazard: error: bad.json: not a gohazard baseline (version 1); write one with --write-baseline\n');
    expect(cli(['check', '--baseline', 'broken.json'], dir).stderr).toMatch(/^gohazard: error: broken\.json: cannot read the baseline: not valid JSON .*\n$/);
  });
});

describe('suppressions', () => {
  it('//gohazard:ignore with a reason, on the line or the line above, suppresses; SARIF shows it with --include-suppressed', () => {
    const src =
      'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch) //gohazard:ignore double-close reset by the caller in tests\n}\n\n' +
      'func G(ch chan int) {\n\tclose(ch)\n\t//gohazard:ignore double-close documented: g is only called once\n\tclose(ch)\n}\n';
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': src });
    expect(cli(['check'], dir)).toMatchObject({ code: 0, stdout: '' });
    const plain = JSON.parse(cli(['check', '--format', 'sarif'], dir).stdout);
    expect(plain.runs[0].results).toEqual([]);
    const r = cli(['check', '--format', 'sarif', '--include-suppressed'], dir);
    const results = JSON.parse(r.stdout).runs[0].results;
    expect(results.map((x: { suppressions: unknown }) => x.suppressions)).toEqual([
      [{ kind: 'inSource', justification: 'reset by the caller in tests' }],
      [{ kind: 'inSource', justification: 'documented: g is only called once' }],
    ]);
    expect(schemaErrors(JSON.parse(r.stdout))).toEqual([]);
    expect(multitoolErrors(r.stdout)).toEqual([]);
  });

  it('a suppression without a reason, or naming an unknown rule, suppresses nothing and is itself reported', () => {
    const src =
      'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch) //gohazard:ignore double-close\n}\n\n' +
      'func G(ch chan int) {\n\tclose(ch)\n\tclose(ch) //gohazard:ignore doubleclose typo in the rule id\n}\n//gohazard:nolint\n';
    const r = cli(['check'], tempTree({ 'go.mod': GO_MOD, 'a.go': src }));
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'a.go:5:1: warning: bad-ignore: //gohazard:ignore double-close needs a reason after the rule id; it suppresses nothing without one',
      'a.go:5:2: error: double-close: ch may already be closed (line 4): close of closed channel panics [high confidence]',
      'a.go:10:1: warning: bad-ignore: //gohazard:ignore names unknown rule "doubleclose"',
      'a.go:10:2: error: double-close: ch may already be closed (line 9): close of closed channel panics [high confidence]',
      'a.go:12:1: warning: bad-ignore: unknown directive //gohazard:nolint: expected //gohazard:ignore or //gohazard:file-ignore',
      '',
    ]);
  });

  it('accepts a space after the slashes (// gohazard:ignore), as it reads like any other comment', () => {
    const src =
      'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch) // gohazard:ignore double-close reset by the caller\n}\n\n' +
      'func G(ch chan int) {\n\tclose(ch)\n\t//\tgohazard:ignore double-close tab-separated\n\tclose(ch)\n}\n';
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': src });
    expect(cli(['check', '--report-unused-ignores'], dir)).toMatchObject({ code: 0, stdout: '' });
  });

  it('//gohazard:file-ignore covers the whole file, and only that file', () => {
    const dir = tempTree({
      'go.mod': GO_MOD,
      'a.go': hazard('f').replace('package m\n', 'package m\n\n//gohazard:file-ignore unused-ignore,double-close legacy code, rewritten in #12\n'),
      'b.go': hazard('g'),
    });
    expect(cli(['check'], dir).stdout).toMatch(/^b\.go:5:2: error: double-close[^\n]*\n$/);
  });

  it('--report-unused-ignores reports suppressions that match nothing', () => {
    const src = 'package m\n\n//gohazard:ignore double-close nothing to suppress here\nfunc F(ch chan int) {\n\tclose(ch)\n}\n';
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': src });
    expect(cli(['check'], dir)).toMatchObject({ code: 0, stdout: '' });
    const r = cli(['check', '--report-unused-ignores', '--fail-on', 'warning'], dir);
    expect(r).toMatchObject({ code: 1, stdout: 'a.go:3:1: warning: unused-ignore: //gohazard:ignore double-close nothing to suppress here matches no double-close finding\n' });
    // An opt-in rule like the others: --enable, or the config, turns it on too.
    expect(cli(['check', '--enable', 'unused-ignore', '--fail-on', 'warning'], dir)).toMatchObject({ code: 1, stdout: r.stdout });
    writeFileSync(path.join(dir, '.gohazard.json'), '{"rules": {"unused-ignore": "on"}, "failOn": "warning"}');
    expect(cli(['check'], dir)).toMatchObject({ code: 1, stdout: r.stdout });
    expect(cli(['rules'], dir).stdout).toMatch(/^unused-ignore +warning +off /m);
  });
});

describe('suppressions in golangci-lint and staticcheck spelling', () => {
  /** A double close in `name`, with `comment` after the second close (or, with `above`, on the line before the function). */
  const closeTwice = (name: string, comment: string, above = '') => `${above}func ${exported(name)}(ch chan int) {\n\tclose(ch)\n\tclose(ch) ${comment}\n}\n\n`;

  it('//nolint:gohazard, gohazard/<rule>, all and bare //nolint, and //lint:ignore gohazard/<rule> with a reason suppress', () => {
    const src =
      'package m\n\n' +
      closeTwice('a', '//nolint:gohazard') +
      closeTwice('b', '//nolint:errcheck,gohazard/double-close // b runs once') +
      closeTwice('c', '//nolint:all') +
      closeTwice('d', '// nolint') +
      closeTwice('e', '//lint:ignore gohazard/double-close e runs once') +
      closeTwice('f', '//lint:ignore SA9999,gohazard legacy');
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': src });
    expect(cli(['check', '--report-unused-ignores'], dir)).toMatchObject({ code: 0, stdout: '' });
    const results = JSON.parse(cli(['check', '--format', 'sarif', '--include-suppressed'], dir).stdout).runs[0].results;
    expect(results.map((x: { suppressions: { justification: string }[] }) => x.suppressions[0]?.justification)).toEqual([
      '//nolint:gohazard',
      'b runs once',
      '//nolint:all',
      '//nolint',
      'e runs once',
      'legacy',
    ]);
  });

  it('//nolint on its own line above a function covers the whole function, as in golangci-lint; //gohazard:ignore only the next line', () => {
    const body = (name: string) => `func ${name}(ch chan int) {\n\tclose(ch)\n\n\tclose(ch)\n}\n\n`;
    const src =
      'package m\n\n' +
      '//nolint:gohazard/double-close // whole function\n// a has a doc comment.\n' + body('A') +
      '//gohazard:ignore double-close only the signature line\n' + body('B');
    const r = cli(['check'], tempTree({ 'go.mod': GO_MOD, 'a.go': src }));
    expect(r.stdout).toMatch(/^a\.go:15:2: error: double-close: [^\n]*\n$/);
  });

  it('each unknown name is reported on its own and the right names still apply; other linters\' names are theirs', () => {
    const src =
      'package m\n\n' +
      closeTwice('a', '//gohazard:ignore nope,double-close,nada reset in tests') +
      closeTwice('b', '//nolint:gohazard/nope,gohazard/double-close') +
      closeTwice('c', '//nolint:double-close') +
      closeTwice('d', '//lint:ignore gohazard/double-close') +
      closeTwice('e', '//nolint:errcheck // not ours') +
      closeTwice('f', '//lint:ignore SA1000 not ours either');
    const r = cli(['check'], tempTree({ 'go.mod': GO_MOD, 'a.go': src }));
    expect(r.stdout.split('\n').map((l) => l.replace(/(double-close): .*/, '$1'))).toEqual([
      'a.go:5:1: warning: bad-ignore: //gohazard:ignore names unknown rule "nada"',
      'a.go:5:1: warning: bad-ignore: //gohazard:ignore names unknown rule "nope"',
      'a.go:10:1: warning: bad-ignore: //nolint names unknown rule "gohazard/nope": write gohazard or gohazard/<rule-id>',
      'a.go:15:1: warning: bad-ignore: //nolint names "double-close": gohazard reads it only as gohazard/double-close',
      'a.go:15:2: error: double-close',
      'a.go:20:1: warning: bad-ignore: //lint:ignore gohazard/double-close needs a reason after the check names; it suppresses nothing without one',
      'a.go:20:2: error: double-close',
      'a.go:25:2: error: double-close',
      'a.go:30:2: error: double-close',
      '',
    ]);
  });

  it('a suppression on any location of the code flow applies: the cleanup call in the caller\'s package, not only the send', () => {
    const engine = 'package engine\n\ntype Engine struct{ ch chan int }\n\nfunc (e *Engine) Close() {\n\tclose(e.ch)\n}\n\nfunc (e *Engine) Add() {\n\te.ch <- 1\n}\n';
    const owner = (comment: string) => `package m\n\nimport "m/engine"\n\nfunc Cleanup(e *engine.Engine) {\n\te.Close() ${comment}\n\te.Add()\n}\n`;
    const found = cli(['check'], tempTree({ 'go.mod': GO_MOD, 'engine/engine.go': engine, 'owner.go': owner('') }));
    expect(found.stdout).toMatch(/^engine\/engine\.go:10:2: error: send-after-close: /);
    const dir = tempTree({ 'go.mod': GO_MOD, 'engine/engine.go': engine, 'owner.go': owner('//nolint:gohazard/send-after-close // Add is a no-op after Close in tests') });
    expect(cli(['check', '--report-unused-ignores'], dir)).toMatchObject({ code: 0, stdout: '' });
  });

  it('a directive repeated on one line counts once', () => {
    const many = (d: string) => Array.from({ length: 1000 }, () => d).join(' ');
    const src = 'package m\n\n' + closeTwice('a', many('//gohazard:ignore double-close,nope why')) + closeTwice('b', many('//gohazard:ignore double-close'));
    const r = cli(['check', '--report-unused-ignores'], tempTree({ 'go.mod': GO_MOD, 'a.go': src }));
    expect(r.stdout.split('\n').map((l) => l.replace(/(double-close): .*/, '$1'))).toEqual([
      'a.go:5:1: warning: bad-ignore: //gohazard:ignore names unknown rule "nope"',
      'a.go:10:1: warning: bad-ignore: //gohazard:ignore double-close needs a reason after the rule id; it suppresses nothing without one',
      'a.go:10:2: error: double-close',
      '',
    ]);
  });
});

describe('opt-in rules and confidence', () => {
  const closeTwice = 'package m\n\ntype Q struct{ ch chan int }\n\nfunc (q *Q) Close() {\n\tclose(q.ch)\n}\n';

  it('runs an opt-in rule only when the config names it', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'q.go': closeTwice });
    expect(cli(['check'], dir)).toMatchObject({ code: 0, stdout: '' });
    writeFileSync(path.join(dir, '.gohazard.json'), JSON.stringify({ rules: { 'unguarded-close': 'on' } }));
    const r = cli(['check'], dir);
    expect(r.stdout).toMatch(/^q\.go:6:2: warning: unguarded-close: Q\.Close closes q\.ch with nothing to stop a second call/);
    // A warning: reported, but the gate passes at the default --fail-on error.
    expect(r.code).toBe(0);
  });

  it('drops findings below --min-confidence or the config minConfidence', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), 'q.go': closeTwice, '.gohazard.json': JSON.stringify({ rules: { 'unguarded-close': 'on' } }) });
    const ids = (args: string[]) => json(args, dir).findings.map((f: { ruleId: string }) => f.ruleId);
    expect(ids([])).toEqual(['double-close', 'unguarded-close']);
    expect(ids(['--min-confidence', 'medium'])).toEqual(['double-close']);
    writeFileSync(path.join(dir, '.gohazard.json'), JSON.stringify({ rules: { 'unguarded-close': 'on' }, minConfidence: 'high' }));
    expect(ids([])).toEqual(['double-close']);
    expect(ids(['--min-confidence', 'low'])).toEqual(['double-close', 'unguarded-close']);
  });
});

describe('config file', () => {
  it('is found from the root upward; rules can be turned off; exclude drops findings by path', () => {
    const dir = tempTree({
      // Relative to the config file's folder, not to the analysis root.
      'gohazard.config.json': JSON.stringify({ exclude: ['mod/gen/**'] }),
      'mod/go.mod': GO_MOD,
      'mod/a.go': hazard('f'),
      'mod/gen/b.go': hazard('g'),
    });
    const mod = path.join(dir, 'mod');
    expect(cli(['check'], mod).stdout).toMatch(/^a\.go:5:2: error: double-close[^\n]*\n$/);
    writeFileSync(path.join(mod, '.gohazard.json'), JSON.stringify({ rules: { 'double-close': 'off' } }));
    // A suppression naming a rule that is turned off is still well-formed.
    writeFileSync(path.join(mod, 'c.go'), 'package m\n\n//gohazard:ignore double-close kept for when the rule is back on\nfunc c() {}\n');
    expect(cli(['check', '--fail-on', 'note'], mod)).toMatchObject({ code: 0, stdout: '' });
    expect(JSON.parse(cli(['check', '--format', 'sarif'], mod).stdout).runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'bad-ignore',
      'chan-no-partner',
      'double-lock',
      'goroutine-leak',
      'missing-unlock',
      'send-after-close',
      'unused-ignore',
    ]);
    // --config picks a file explicitly.
    expect(cli(['check', '--config', '../gohazard.config.json'], mod).stdout).toMatch(/^a\.go:5:2/);
  });

  it('severity overrides reach the findings and the SARIF rule level', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), '.gohazard.json': '{"rules": {"double-close": "note"}}' });
    const doc = JSON.parse(cli(['check', '--format', 'sarif'], dir).stdout);
    expect(doc.runs[0].results[0].level).toBe('note');
    expect(doc.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'double-close')).toMatchObject({
      defaultConfiguration: { level: 'note' },
      properties: { 'problem.severity': 'recommendation' },
    });
  });

  it('tests and buildTags act as --tests and --tags; --tests on the command line wins', () => {
    const dir = tempTree({
      'go.mod': GO_MOD,
      'a_test.go': hazard('t'),
      'b.go': `//go:build integration\n\n${hazard('i')}`,
      '.gohazard.json': '{"tests": true, "buildTags": ["integration"]}',
    });
    const paths = (args: string[]) => json(args, dir).findings.map((f: { location: { path: string } }) => f.location.path);
    expect(paths([])).toEqual(['a_test.go', 'b.go']);
    writeFileSync(path.join(dir, '.gohazard.json'), '{"tests": false}');
    expect(paths([])).toEqual([]);
    expect(paths(['--tests'])).toEqual(['a_test.go']);
    writeFileSync(path.join(dir, '.gohazard.json'), '{}');
    expect(paths([])).toEqual(['a_test.go']);
    expect(paths(['--no-tests'])).toEqual([]);
  });

  it('cleanupFunctions reach the rules as ctx.settings', async () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'a.go': 'package m\n\nfunc Teardown() {}\nfunc Release() {}\nfunc Run() {}\n', '.gohazard.json': '{"cleanupFunctions": ["^Teardown$", "^Rel"]}' });
    const config = loadConfig(path.join(dir, '.gohazard.json'), new Set(['double-close']));
    // A probe rule: one finding per function the settings call a cleanup.
    const probe: Rule = {
      meta: { ...doubleClose.meta, id: 'probe' },
      run(ctx) {
        for (const file of ctx.program.packages.flatMap((p) => p.files)) {
          for (const fn of file.funcs) {
            if (!ctx.settings.cleanupFunctions.some((re) => re.test(fn.name))) continue;
            ctx.report({ confidence: 'high', message: fn.name, location: { path: file.path, line: lineOf(fn.span.start), col: 1 }, related: [], flows: [], identity: [fn.name] });
          }
        }
      },
    };
    const result = await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules: [probe], settings: { cleanupFunctions: config.cleanupFunctions } });
    expect(result.findings.map((f) => f.message)).toEqual(['Teardown', 'Release']);
  });

  it('allows comments and trailing commas (JSONC) and a $schema key; a syntax error names its line and column', () => {
    const jsonc = '{\n  // the schema ships in the package\n  "$schema": "./node_modules/gohazard/docs/gohazard.schema.json",\n  /* off for now */\n  "rules": {"double-close": "off",},\n}\n';
    expect(cli(['check'], tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), '.gohazard.json': jsonc }))).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const broken = '{\n  "rules": {\n    "double-close" "off"\n  }\n}\n';
    expect(cli(['check'], tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), '.gohazard.json': broken }))).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'gohazard: error: .gohazard.json:3:20: not valid JSON: expected ":" after a key\n',
    });
  });

  it('the published JSON Schema knows exactly the keys gohazard reads, and accepts a full config', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO, 'docs', 'gohazard.schema.json'), 'utf8'));
    expect(Object.keys(schema.properties).sort()).toEqual([...CONFIG_KEYS].sort());
    const validate = new Ajv({ strict: true }).compile(schema);
    const full = {
      $schema: 'x',
      rules: { 'double-close': 'warning', 'goroutine-leak': { level: 'note', exclude: ['*_test.go'] }, 'chan-no-partner': { exclude: ['gen/**'] } },
      cleanupFunctions: ['^Stop$'],
      exclude: ['gen/**'],
      tests: false,
      buildTags: ['e2e'],
      minConfidence: 'medium',
      testCodeSeverity: 'error',
      failOn: 'warning',
      maxFindings: 3,
    };
    expect(validate(full), JSON.stringify(validate.errors)).toBe(true);
    expect(loadConfig(path.join(tempTree({ 'c.json': JSON.stringify(full) }), 'c.json'), new Set(['double-close', 'goroutine-leak', 'chan-no-partner']))).toMatchObject({ failOn: 'warning', maxFindings: 3, testCodeSeverity: 'error' });
    for (const bad of [{ rulez: {} }, { rules: { 'double-close': 'fatal' } }, { rules: { 'double-close': { level: 'on', paths: [] } } }, { failOn: 'fatal' }, { testCodeSeverity: 'none' }, { maxFindings: -1 }]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('rejects unknown keys, unknown rules and bad values with one line naming them, exit 2', () => {
    const cases: [string, string][] = [
      ['{"rulez": {}}', 'gohazard: error: .gohazard.json: unknown key "rulez" (known keys: rules, cleanupFunctions, exclude, tests, buildTags, minConfidence, testCodeSeverity, failOn, maxFindings)\n'],
      ['{"rules": {"double-close": {"level": "on", "paths": []}}}', 'gohazard: error: .gohazard.json: rules.double-close: unknown key "paths" (known keys: level, exclude)\n'],
      ['{"rules": {"double-close": {"exclude": "gen"}}}', 'gohazard: error: .gohazard.json: rules.double-close: "exclude" must be a list of non-empty strings\n'],
      ['{"failOn": "fatal"}', 'gohazard: error: .gohazard.json: failOn: expected error, warning, note, none, got "fatal"\n'],
      ['{"testCodeSeverity": "off"}', 'gohazard: error: .gohazard.json: testCodeSeverity: expected error, warning, note, got "off"\n'],
      ['{"maxFindings": 1.5}', 'gohazard: error: .gohazard.json: maxFindings: expected a whole number, 0 or more, got 1.5\n'],
      ['{"rules": {"doble-close": "off"}}', 'gohazard: error: .gohazard.json: rules: unknown rule "doble-close" (run gohazard rules for the list)\n'],
      ['{"rules": {"double-close": "fatal"}}', 'gohazard: error: .gohazard.json: rules.double-close: expected one of off, on, error, warning, note, got "fatal"\n'],
      ['{"cleanupFunctions": ["("]}', 'gohazard: error: .gohazard.json: cleanupFunctions: "(" is not a valid regular expression (Invalid regular expression: /(/: Unterminated group)\n'],
      ['{"tests": "yes"}', 'gohazard: error: .gohazard.json: "tests" must be true or false\n'],
      ['{"exclude": "gen"}', 'gohazard: error: .gohazard.json: "exclude" must be a list of non-empty strings\n'],
      ['[1]', 'gohazard: error: .gohazard.json: expected a JSON object\n'],
      ['{"minConfidence": "some"}', 'gohazard: error: .gohazard.json: minConfidence: expected high, medium or low, got "some"\n'],
    ];
    for (const [text, stderr] of cases) {
      const r = cli(['check'], tempTree({ 'go.mod': GO_MOD, 'a.go': hazard('f'), '.gohazard.json': text }));
      expect(r, text).toMatchObject({ code: 2, stdout: '', stderr });
    }
    expect(cli(['check', '--config', 'missing.json'], tempTree({ 'a.go': hazard('f') })).stderr).toBe(
      'gohazard: error: missing.json: cannot read the config: no such file\n',
    );
  });
});

describe('choosing rules and the gate in the config or on the command line', () => {
  const twoRules = { 'go.mod': GO_MOD, 'a.go': hazard('f'), 'q.go': 'package m\n\ntype Q struct{ ch chan int }\n\nfunc (q *Q) Close() {\n\tclose(q.ch)\n}\n' };
  const rulesOf = (r: { stdout: string }) => r.stdout.split('\n').filter(Boolean).map((l) => l.split(': ')[2]);

  it('--enable and --disable are "on" and "off" in the config rules, over the file; an unknown id or one in both is an error', () => {
    const dir = tempTree(twoRules);
    expect(rulesOf(cli(['check'], dir))).toEqual(['double-close']);
    expect(rulesOf(cli(['check', '--enable', 'unguarded-close,lock-order'], dir))).toEqual(['double-close', 'unguarded-close']);
    expect(rulesOf(cli(['check', '--enable', 'unguarded-close', '--disable', 'double-close'], dir))).toEqual(['unguarded-close']);
    writeFileSync(path.join(dir, '.gohazard.json'), '{"rules": {"unguarded-close": "note", "double-close": "off"}}');
    expect(cli(['check'], dir).stdout).toMatch(/^q\.go:6:2: note: unguarded-close: /);
    // --enable keeps the severity the file sets, and turns back on what it turns off.
    expect(cli(['check', '--enable', 'double-close', '--enable', 'unguarded-close'], dir).stdout).toMatch(/^a\.go:5:2: error: double-close: .*\nq\.go:6:2: note: unguarded-close: /);
    expect(cli(['check', '--disable', 'unguarded-close'], dir)).toMatchObject({ code: 0, stdout: '' });
    expect(cli(['check', '--enable', 'double-clse'], dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^gohazard: error: option '--enable <ids>' argument 'double-clse' is invalid\. unknown rule "double-clse"/) });
    expect(cli(['check', '--enable', 'double-close', '--disable', 'double-close'], dir)).toMatchObject({ code: 2, stderr: 'gohazard: error: --enable and --disable both name double-close\n' });
  });

  it('failOn and maxFindings in the config act as the flags, which win', () => {
    const dir = tempTree({ ...twoRules, '.gohazard.json': '{"rules": {"double-close": "warning"}, "failOn": "warning"}' });
    expect(cli(['check'], dir).code).toBe(1);
    expect(cli(['check', '--fail-on', 'error'], dir).code).toBe(0);
    writeFileSync(path.join(dir, '.gohazard.json'), '{"rules": {"double-close": "warning"}, "maxFindings": 0}');
    expect(cli(['check'], dir)).toMatchObject({ code: 1, stderr: expect.stringContaining('exit 1: 1 findings exceed --max-findings 0') });
    expect(cli(['check', '--max-findings', '1'], dir).code).toBe(0);
  });

  it('a rule\'s own exclude drops only that rule\'s findings there', () => {
    const dir = tempTree({
      ...twoRules,
      'gen/g.go': hazard('g').replace('package m', 'package gen'),
      '.gohazard.json': '{"rules": {"double-close": {"exclude": ["gen/**"]}, "unguarded-close": {"level": "on", "exclude": ["q.go"]}}}',
    });
    expect(cli(['check'], dir).stdout).toMatch(/^a\.go:5:2: error: double-close: [^\n]*\n$/);
  });
});

describe('exclude globs', () => {
  it('match like .gitignore: * within a segment, ** across, bare names at any depth, folders cover their files', () => {
    const m = excludeMatcher(['gen/**', '*_mock.go', 'internal/legacy', 'a/*/c.go']).excluded;
    expect(['gen/x.go', 'gen/deep/y.go', 'pkg/foo_mock.go', 'foo_mock.go', 'internal/legacy/z.go', 'a/b/c.go'].filter((p) => !m(p))).toEqual([]);
    expect(['generated/x.go', 'pkg/gen/x.go', 'pkg/mock.go', 'internal/legacyx/z.go', 'a/b/d/c.go'].filter(m)).toEqual([]);
    expect(excludeMatcher([]).excluded('a.go')).toBe(false);
    expect(m('../outside/gen/x.go')).toBe(false);
  });

  it('anchor a leading /, expand braces, match classes, and re-include with !', () => {
    const m = excludeMatcher(['/top.go', '{gen,mocks}/', 'z[0-9].go', 'vendored/*.go', '!vendored/keep.go']).excluded;
    expect(['top.go', 'gen/a.go', 'x/mocks/b.go', 'z1.go', 'p/z2.go', 'vendored/b.go'].filter((p) => !m(p))).toEqual([]);
    expect(['p/top.go', 'genx/a.go', 'za.go', 'vendored/keep.go'].filter(m)).toEqual([]);
  });

  it('names the patterns that match no analyzed file', () => {
    const m = excludeMatcher(['gen/**', 'nothing/**', '!gen/keep.go', '{a,b}.go']);
    expect(m.unused(['gen/x.go', 'b.go'])).toEqual(['nothing/**', '!gen/keep.go']);
  });

  it('do not backtrack exponentially on repeated **', () => {
    const deep = `${Array.from({ length: 26 }, (_, i) => `d${i}`).join('/')}/y.go`;
    const t0 = performance.now();
    const m = excludeMatcher(['**/**/**/**/**/**/**/**/**/**/x', `${'**/'.repeat(20)}x`]);
    expect(m.excluded(deep)).toBe(false);
    expect(m.excluded(deep.replace('d25', 'x'))).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('are matched without backtracking: `**/a*/` sixteen times against a path 2,000 folders deep is instant', () => {
    const deep = `${Array.from({ length: 2000 }, () => 'aaaa').join('/')}/b.go`;
    const t0 = performance.now();
    const m = excludeMatcher([`${'**/a*/'.repeat(16)}x`, `${'*a'.repeat(30)}b`, `${'**/a*/'.repeat(16)}b.go`]);
    expect(m.excluded(deep)).toBe(true);
    expect(m.excluded(deep.replace(/b\.go$/, 'c.go'))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('decide as git check-ignore does', () => {
    const patterns = ['gen/**', '!gen/keep.go', '*_mock.go', '/top.go', 'docs/', 'a/**/z.go', 'b*/c?/', '[xy]z.go', '!*.pb.go', 'pb/', 'deep/**/', 'k\\*.go', 'm/*', '!m/n'];
    const paths = ['gen/a.go', 'gen/keep.go', 'gen', 'x/gen/a.go', 'p/q_mock.go', 'top.go', 'sub/top.go', 'docs/a.go', 'x/docs/b.go', 'docs.go', 'a/z.go', 'a/b/c/z.go', 'bx/cy/d.go', 'bx/c/d.go', 'xz.go', 'q/yz.go', 'zz.go', 'pb/x.pb.go', 'q/x.pb.go', 'deep/a.go', 'deep/x/a.go', 'k*.go', 'kx.go', 'm/n/a.go', 'm/o.go', 'm/n'];
    const dir = tempTree({ '.gitignore': `${patterns.join('\n')}\n` });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const r = spawnSync('git', ['check-ignore', '--no-index', '--stdin'], { cwd: dir, input: paths.join('\n'), encoding: 'utf8' });
    const byGit = r.stdout.split('\n').filter(Boolean);
    const m = excludeMatcher(patterns);
    expect(paths.filter((p) => m.excluded(p))).toEqual(byGit);
  });

  it('are relative to the config file, and one matching nothing is a warning', () => {
    const dir = tempTree({
      '.gohazard.json': JSON.stringify({ exclude: ['/mod/gen/', 'nowhere/**'] }),
      'mod/go.mod': GO_MOD,
      'mod/a.go': hazard('f'),
      'mod/gen/b.go': hazard('g'),
    });
    const r = cli(['check'], path.join(dir, 'mod'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^a\.go:5:2: error: double-close[^\n]*\n$/);
    // The config is shown as the report shows paths: relative to the working directory unless above it.
    expect(diagnosticsOf(r.stderr)).toBe(`gohazard: ${path.join(dir, '.gohazard.json')}: warning: exclude pattern "nowhere/**" matches no analyzed file\n`);
  });
});

describe('--format github', () => {
  it('prints one workflow command per finding, escaped, with related locations in the message', () => {
    const dir = tempTree({ 'go.mod': GO_MOD, 'sub/a,b.go': hazard('f'), '.gohazard.json': '{"rules": {"double-close": "warning"}}' });
    const r = cli(['check', '--format', 'github'], dir);
    expect(r.stdout).toBe(
      '::warning file=sub/a%2Cb.go,line=5,col=2,title=gohazard double-close::ch may already be closed (line 4): close of closed channel panics [high confidence] (first close of ch at sub/a,b.go:4:2)\n',
    );
  });
});
