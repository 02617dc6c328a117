import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, FIXTURES, tempTree } from './helpers.js';
import { multitoolErrors, schemaErrors } from './sarif-validate.js';

const HAZARD = 'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';

/* eslint-disable @typescript-eslint/no-explicit-any -- SARIF documents are read as loose JSON here */
type Sarif = any;

function sarifOf(args: string[], cwd: string): { code: number; doc: Sarif; text: string; stderr: string } {
  const r = cli(['check', '--format', 'sarif', ...args], cwd);
  return { code: r.code, doc: JSON.parse(r.stdout), text: r.stdout, stderr: r.stderr };
}

function expectValid(text: string): void {
  expect(schemaErrors(JSON.parse(text))).toEqual([]);
  expect(multitoolErrors(text)).toEqual([]);
}

/** Fixture packages that expect findings (a `// want` somewhere): their SARIF has results to validate. */
const fixturePackages = readdirSync(FIXTURES).filter(
  (d) => d !== 'internal' && statSync(path.join(FIXTURES, d)).isDirectory() && wantsFindings(path.join(FIXTURES, d)),
);

function wantsFindings(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? wantsFindings(path.join(dir, e.name)) : e.name.endsWith('.go') && readFileSync(path.join(dir, e.name), 'utf8').includes('// want'),
  );
}

describe('SARIF validators', () => {
  it('catch a broken document (so a pass means something)', () => {
    const { text } = sarifOf([], tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD }));
    const doc = JSON.parse(text);
    doc.runs[0].results[0].level = 'fatal';
    expect(schemaErrors(doc).join('\n')).toMatch(/level/);
    delete doc.runs[0].results[0].locations[0].physicalLocation.region.startLine;
    doc.runs[0].results[0].level = 'error';
    expect(multitoolErrors(JSON.stringify(doc)).join('\n')).toMatch(/SARIF1007 error/);
  });
});

describe('gohazard check --format sarif', () => {
  for (const pkg of ['.', ...fixturePackages]) {
    it(`fixtures ${pkg}: passes the SARIF Multitool (Gh, Sarif rules) and the 2.1.0 schema with no errors or warnings`, () => {
      const { code, text, doc } = sarifOf(['--tests', `./${pkg === '.' ? '' : `${pkg}/`}...`], FIXTURES);
      expect(doc.runs[0].results.length).toBeGreaterThan(0);
      // A fixture of a warning-level rule alone passes the default gate.
      expect(code).toBe(doc.runs[0].results.some((r: Sarif) => r.level === 'error') ? 1 : 0);
      expectValid(text);
    });
  }

  it('carries full rule metadata from the rule module and rules/<id>.md', () => {
    const { doc } = sarifOf([], FIXTURES);
    const driver = doc.runs[0].tool.driver;
    expect(driver.name).toBe('gohazard');
    const rule = driver.rules.find((r: Sarif) => r.id === 'double-close');
    expect(rule).toMatchObject({
      name: 'DoubleClose',
      shortDescription: { text: 'Channel closed twice on one path.' },
      fullDescription: { text: expect.stringContaining('close of closed channel') },
      help: { markdown: readFileSync(path.join(FIXTURES, '..', 'rules', 'double-close.md'), 'utf8'), text: expect.stringContaining('How to fix') },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['concurrency', 'channels', 'panic'], precision: 'medium', 'problem.severity': 'error' },
    });
    expect(rule.help.text).not.toMatch(/\*\*|```/);
    // No address is known before a release: the help travels inside the SARIF instead of behind a guessed link.
    expect(rule.helpUri).toBeUndefined();
    // The project's public address from package.json, never this machine's file:// path.
    expect(driver.informationUri).toBe(JSON.parse(readFileSync(path.join(FIXTURES, '..', 'package.json'), 'utf8')).homepage);
    expect(driver.informationUri).toMatch(/^https:\/\//);
    expect(driver.rules.map((r: Sarif) => r.id)).toEqual(['bad-ignore', 'block-under-lock', 'chan-no-partner', 'cond-misuse', 'deadlock', 'double-close', 'double-lock', 'goroutine-leak', 'lock-order', 'missing-unlock', 'send-after-close', 'unguarded-close', 'unused-ignore', 'waitgroup-misuse']);
  });

  it('writes results with ruleIndex, %SRCROOT%-relative locations, linked related locations and partial fingerprints', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'sub dir/a.go': HAZARD });
    const { doc, text } = sarifOf([], dir);
    const run = doc.runs[0];
    expect(run.results).toHaveLength(1);
    const [res] = run.results;
    expect(run.tool.driver.rules[res.ruleIndex].id).toBe('double-close');
    expect(res).toMatchObject({
      ruleId: 'double-close',
      level: 'error',
      message: { text: 'ch may already be closed (line 4): close of closed channel panics \\[high confidence\\]. See [first close of ch](1).' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'sub%20dir/a.go', uriBaseId: '%SRCROOT%' }, region: { startLine: 5, startColumn: 2 } } }],
      relatedLocations: [{ id: 1, message: { text: 'first close of ch.' }, physicalLocation: { region: { startLine: 4, startColumn: 2 } } }],
      properties: { confidence: 'high' },
    });
    const json = JSON.parse(cli(['check', '--format', 'json'], dir).stdout);
    expect(res.partialFingerprints).toEqual({ 'gohazard/v1': `${json.findings[0].fingerprint}:1` });
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toMatch(/^file:\/\/\/.*\/$/);
    expect(run.automationDetails).toEqual({ id: 'gohazard/' });
    expect(run.columnKind).toBe('utf16CodeUnits');
    expectValid(text);
  });

  it('is deterministic: the same input gives byte-identical SARIF', () => {
    const a = sarifOf(['--tests'], FIXTURES).text;
    const b = sarifOf(['--tests', '-j', '1'], FIXTURES).text;
    expect(b).toBe(a);
    expect(a).not.toMatch(/"(startTimeUtc|endTimeUtc)"/);
  });

  it('counts columns in UTF-16 code units, as GitHub does', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': 'package m\n\nfunc F(ch chan int) {\n\t_ = "日本"; close(ch)\n\tclose(ch)\n}\n' });
    const res = sarifOf([], dir).doc.runs[0].results[0];
    // Byte column 16 (the two runes take 3 bytes each); UTF-16 column 12 (one code unit each).
    expect(JSON.parse(cli(['check', '--format', 'json'], dir).stdout).findings[0].related[0].location.col).toBe(16);
    expect(res.relatedLocations[0].physicalLocation.region.startColumn).toBe(12);
  });

  it('gives the same partial fingerprint to the same hazard twice in a function, made distinct by an occurrence number', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': 'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n\tclose(ch)\n}\n' });
    const fps = sarifOf([], dir).doc.runs[0].results.map((r: Sarif) => r.partialFingerprints['gohazard/v1'] as string);
    expect(fps).toHaveLength(2);
    expect(fps[0]!.split(':')[0]).toBe(fps[1]!.split(':')[0]);
    expect(fps.map((f: string) => f.split(':')[1])).toEqual(['1', '2']);
  });

  it('records versionControlProvenance in a git checkout with a remote, without credentials', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'one');
    expect(sarifOf([], dir).doc.runs[0].versionControlProvenance).toBeUndefined();
    git('remote', 'add', 'origin', 'https://user:secret@example.com/org/repo.git');
    const { doc, text } = sarifOf([], dir);
    expect(doc.runs[0].versionControlProvenance).toEqual([
      { repositoryUri: 'https://example.com/org/repo.git', revisionId: git('rev-parse', 'HEAD'), branch: 'main', mappedTo: { uriBaseId: '%SRCROOT%' } },
    ]);
    expectValid(text);
  });

  it('lists problems with the input as tool notifications, and a failed path makes the execution unsuccessful', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': `${HAZARD}\nfunc broken() { x := }\n` });
    const { code, doc, text } = sarifOf(['.', './nope'], dir);
    expect(code).toBe(2);
    const inv = doc.runs[0].invocations[0];
    expect(inv.executionSuccessful).toBe(false);
    expect(inv.toolExecutionNotifications.map((n: Sarif) => [n.level, n.message.text])).toEqual([
      ['error', './nope: cannot read: no such file or folder.'],
      ['warning', expect.stringMatching(/^a\.go:8:\d+: syntax error .*the rest of the file is still analyzed\.$/)],
    ]);
    expectValid(text);
  });

  it('writes to --output instead of stdout', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const r = cli(['check', '--format', 'sarif', '--output', 'out.sarif'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(path.join(dir, 'out.sarif'), 'utf8')).runs[0].results).toHaveLength(1);
  });
});


describe('SARIF for code scanning', () => {
  /** A git checkout whose Go module is in a subfolder, as in a monorepo. */
  function monorepo() {
    const dir = tempTree({ 'services/api/go.mod': 'module api\n', 'services/api/a.go': HAZARD, 'README.md': '# r\n' });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'one');
    return { dir, git };
  }

  it('URIs are relative to the git top level (%SRCROOT%), also when run from a subfolder; --sarif-category sets automationDetails.id', () => {
    const { dir } = monorepo();
    const { doc, text } = sarifOf(['--sarif-category', 'api'], path.join(dir, 'services/api'));
    const run = doc.runs[0];
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toBe(`file://${dir}/`);
    expect(run.results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'services/api/a.go', uriBaseId: '%SRCROOT%' });
    expect(run.automationDetails).toEqual({ id: 'api/' });
    expectValid(text);
  });

  it('marks results new with --baseline or --new-from-rev (baselineState), and only then', () => {
    const { dir } = monorepo();
    const api = path.join(dir, 'services/api');
    expect(sarifOf([], api).doc.runs[0].results[0].baselineState).toBeUndefined();
    writeFileSync(path.join(api, 'b.go'), HAZARD.replace('func f', 'func g'));
    const fresh = sarifOf(['--new-from-rev', 'HEAD'], api);
    expect(fresh.doc.runs[0].results.map((r: Sarif) => [r.locations[0].physicalLocation.artifactLocation.uri, r.baselineState])).toEqual([
      ['services/api/b.go', 'new'],
    ]);
    expectValid(fresh.text);
  });

  it('keeps partialFingerprints when lines are inserted above (what GitHub matches besides its own line hash)', () => {
    const dir = tempTree({ 'go.mod': 'module m\n', 'a.go': HAZARD });
    const before = sarifOf([], dir).doc.runs[0].results[0].partialFingerprints;
    writeFileSync(path.join(dir, 'a.go'), HAZARD.replace('package m\n', 'package m\n\n// moved down\n'));
    const after = sarifOf([], dir).doc.runs[0].results[0];
    expect(after.locations[0].physicalLocation.region.startLine).toBe(7);
    expect(after.partialFingerprints).toEqual(before);
    expect(Object.keys(after.partialFingerprints)).toEqual(['gohazard/v1']);
  });
});
