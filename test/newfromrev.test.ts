import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeOrReuse } from '../dist/src/analyze.js';
import { EMPTY_CONFIG } from '../dist/src/config.js';
import { runGate } from '../dist/src/gate/gate.js';
import { atRevision, resolveRevision } from '../dist/src/gate/newfromrev.js';
import { doubleClose } from '../dist/rules/double-close.js';
import { sendAfterClose } from '../dist/rules/send-after-close.js';
import { BIN, cli, FIXTURES, tempTree } from './helpers.js';

/** A git repository in a temp folder, with a helper to commit the whole tree. */
function repo(files: Record<string, string>) {
  const dir = tempTree(files);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  const commit = (msg: string) => {
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', msg);
  };
  return { dir, git, commit };
}

const tempRevDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('gohazard-rev-')).length;

// Clean closes the engine, then sends through addMeta: harmless until Close starts closing metaCh
// (through sync.Once, so that Close itself is safe to call twice and only the send is new).
const ENGINE =
  'package m\n\nimport "sync"\n\ntype Engine struct {\n\tonce   sync.Once\n\tmetaCh chan int\n}\n\n' +
  'func (e *Engine) Close() {\n\te.once.Do(func() {})\n}\n\nfunc (e *Engine) Clean() {\n\te.Close()\n\te.addMeta(1)\n}\n';
const SENDER = 'package m\n\nfunc (e *Engine) addMeta(m int) {\n\te.metaCh <- m\n}\n';
const OLD_HAZARD = 'package m\n\nfunc Old(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';

describe('--new-from-rev', () => {
  it('reports exactly the hazard a commit causes in a file it did not touch, and leaves the checkout alone', async () => {
    const { dir, git, commit } = repo({ 'go.mod': 'module m\n', 'engine.go': ENGINE, 'sender.go': SENDER, 'old.go': OLD_HAZARD });
    commit('one');
    writeFileSync(path.join(dir, 'engine.go'), ENGINE.replace('e.once.Do(func() {})', 'e.once.Do(func() { close(e.metaCh) })'));
    commit('two: Close closes metaCh');
    expect(git('diff', '--name-only', 'HEAD~1')).toBe('engine.go'); // a line-diff filter would see nothing in sender.go
    const status = git('status', '--porcelain');
    const worktrees = git('worktree', 'list');
    const tempsBefore = tempRevDirs();

    const rules = [doubleClose, sendAfterClose];
    const analyzeAt = (cwd: string, patterns: string[]) => analyze({ patterns, cwd, workers: 2, rules });
    const gateOpts = { config: EMPTY_CONFIG, knownRules: rules.map((r) => r.meta), reportUnusedIgnores: false, failOn: 'error' as const };

    const all = await runGate(dir, ['./...'], analyzeAt, gateOpts);
    expect(all.findings.map((f) => `${f.location.path}:${f.location.line}: ${f.ruleId}`)).toEqual([
      'old.go:5: double-close',
      'sender.go:4: send-after-close',
    ]);
    const fresh = await runGate(dir, ['./...'], analyzeAt, { ...gateOpts, newFromRev: 'HEAD~1' });
    expect(fresh.findings.map((f) => `${f.location.path}:${f.location.line}: ${f.ruleId}`)).toEqual(['sender.go:4: send-after-close']);
    expect(fresh.findings[0]?.message).toMatch(/^send on Engine\.metaCh after it may be closed: Engine\.Clean closes it at engine\.go:15, then/);
    // The chain is the flow's, not the message's.
    expect(fresh.findings[0]?.flows[0]?.steps.map((s) => s.message)).toEqual(['calls Engine.Close', 'calls Engine.Close.func1', expect.stringMatching(/^closes /)]);
    expect(fresh.notes).toEqual(['new-from-rev HEAD~1: 1 finding already present there hidden']);
    expect(fresh.failed).toBe(true);

    expect(git('status', '--porcelain')).toBe(status);
    expect(git('worktree', 'list')).toBe(worktrees);
    expect(tempRevDirs()).toBe(tempsBefore);
  });

  it("offers and proves fixes only in the working tree: REV's tree is only compared with it", async () => {
    const reorder = readFileSync(path.join(FIXTURES, 'reorder/reorder.go'), 'utf8');
    const { dir, commit } = repo({ 'go.mod': 'module m\n', 'doc.go': 'package reorder\n' });
    commit('one');
    writeFileSync(path.join(dir, 'reorder.go'), reorder);
    const rules = [sendAfterClose];
    const offered = (await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules })).findings.filter((f) => f.fix);
    expect(offered.length).toBeGreaterThan(0);
    const compared = await analyze({ patterns: ['./...'], cwd: dir, workers: 1, rules, fixes: false });
    expect(compared.findings.filter((f) => f.fix)).toEqual([]);
    expect(compared.stats.ruleTimes?.['fix proof']).toBeUndefined();
    // The new findings (the file is new since HEAD) keep their fixes on the command line.
    const r = cli(['check', '--new-from-rev', 'HEAD', '--format', 'json', '--no-cache', '--fail-on', 'none'], dir);
    const found = (JSON.parse(r.stdout) as { findings: { fix?: unknown }[] }).findings;
    expect(found.filter((f) => f.fix).length).toBe(offered.length);
  });

  it('reuses the results of both trees on the next run over the same commits', async () => {
    const { dir, commit } = repo({ 'go.mod': 'module m\n', 'engine.go': ENGINE, 'sender.go': SENDER });
    commit('one');
    writeFileSync(path.join(dir, 'engine.go'), ENGINE.replace('e.once.Do(func() {})', 'e.once.Do(func() { close(e.metaCh) })'));
    commit('two');
    const cacheDir = tempTree({});
    const rules = [doubleClose, sendAfterClose];
    const reused: boolean[] = [];
    const analyzeAt = async (cwd: string, patterns: string[]) => {
      const r = await analyzeOrReuse({ patterns, cwd, workers: 2, rules, cacheDir });
      reused.push(r.stats.reused);
      return r;
    };
    const opts = { config: EMPTY_CONFIG, knownRules: rules.map((r) => r.meta), reportUnusedIgnores: false, failOn: 'error' as const, newFromRev: 'HEAD~1' };
    const first = await runGate(dir, ['./...'], analyzeAt, opts);
    const second = await runGate(dir, ['./...'], analyzeAt, opts);
    // REV's tree, then the working tree; the second time both come from the cache.
    expect(reused).toEqual([false, false, true, true]);
    expect(second.findings).toEqual(first.findings);
    expect(second.findings.map((f) => `${f.location.path}:${f.location.line}: ${f.ruleId}`)).toEqual(['sender.go:4: send-after-close']);
  });

  it('on the command line: only the new double close, from a subfolder, with uncommitted changes counted as now', () => {
    const { dir, commit } = repo({ 'go.mod': 'module m\n', 'pkg/old.go': OLD_HAZARD, 'pkg/b.go': 'package m\n' });
    commit('one');
    writeFileSync(path.join(dir, 'pkg/b.go'), OLD_HAZARD.replace('Old', 'Added'));
    const r = cli(['check', '--new-from-rev', 'HEAD'], path.join(dir, 'pkg'));
    expect(r).toMatchObject({ code: 1, stdout: 'b.go:5:2: error: double-close: ch may already be closed (line 4): close of closed channel panics [high confidence]\n' });
    expect(r.stderr).toBe('gohazard: new-from-rev HEAD: 1 finding already present there hidden\ngohazard: 1 finding: 1 error (double-close 1); exit 1: 1 at or above --fail-on error\n');
    expect(cli(['check', '--new-from-rev', 'HEAD', '--stats'], path.join(dir, 'pkg')).stderr).toContain('gohazard: findings: 1 (1 already at HEAD)\n');
    // Absolute and upward patterns map into the tree of REV too.
    expect(cli(['check', '--new-from-rev', 'HEAD', `${dir}/...`], path.join(dir, 'pkg')).stdout).toBe(r.stdout);
    expect(cli(['check', '--new-from-rev', 'HEAD', '../...'], path.join(dir, 'pkg')).stdout).toBe(r.stdout);
  });

  it('reads REV from the object store, export-ignore paths included: their old findings are not new', () => {
    const { dir, commit } = repo({ 'go.mod': 'module m\n', '.gitattributes': 'legacy/** export-ignore\n', 'legacy/old.go': OLD_HAZARD.replace('package m', 'package legacy') });
    commit('one');
    expect(cli(['check', '--new-from-rev', 'HEAD'], dir)).toMatchObject({ code: 0, stdout: '', stderr: 'gohazard: new-from-rev HEAD: 1 finding already present there hidden\n' });
  });

  it('treats a folder that did not exist at REV as having no findings there', () => {
    const { dir, commit } = repo({ 'go.mod': 'module m\n', 'a.go': 'package m\n' });
    commit('one');
    writeFileSync(path.join(dir, 'a.go'), OLD_HAZARD);
    mkdirSync(path.join(dir, 'newpkg'));
    writeFileSync(path.join(dir, 'newpkg', 'n.go'), OLD_HAZARD.replace('package m', 'package newpkg'));
    const r = cli(['check', '--new-from-rev', 'HEAD', './newpkg/...'], dir);
    expect(r).toMatchObject({ code: 1, stderr: 'gohazard: new-from-rev HEAD: 0 findings already present there hidden\ngohazard: 1 finding: 1 error (double-close 1); exit 1: 1 at or above --fail-on error\n' });
    expect(r.stdout).toMatch(/^newpkg\/n\.go:5:2: error: double-close/);
  });

  it('an unknown revision, or no git checkout: one line, exit 2', () => {
    const { dir, commit } = repo({ 'go.mod': 'module m\n', 'a.go': OLD_HAZARD });
    commit('one');
    expect(cli(['check', '--new-from-rev', 'nosuchbranch'], dir)).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'gohazard: error: --new-from-rev: unknown revision "nosuchbranch"\n',
    });
    expect(cli(['check', '--new-from-rev', 'HEAD', path.dirname(dir)], dir)).toMatchObject({
      code: 2,
      stderr: `gohazard: error: --new-from-rev: ${path.dirname(dir)} is outside the git checkout ${dir}\n`,
    });
    const plain = tempTree({ 'go.mod': 'module m\n', 'a.go': OLD_HAZARD });
    const r = cli(['check', '--new-from-rev', 'HEAD'], plain);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gohazard: error: --new-from-rev needs a git checkout, and .* is not in one\n$/);
  });

  it('removes the tree of REV when interrupted, then exits 130 on SIGINT and 143 on SIGTERM', async () => {
    // Enough files that the analysis of REV lasts well beyond the moment its folder appears.
    const files: Record<string, string> = { 'go.mod': 'module m\n' };
    for (let i = 0; i < 1000; i++) files[`p${i % 20}/f${i}.go`] = OLD_HAZARD.replace('package m', `package p${i % 20}`).replace('old', `old${i}`);
    const { dir, commit } = repo(files);
    commit('one');
    // A temp folder of its own: other runs on the machine make gohazard-rev-* folders too.
    const tmp = tempTree({});
    const revDirs = () => readdirSync(tmp).filter((n) => n.startsWith('gohazard-rev-'));
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const child = spawn(process.execPath, [BIN, 'check', '--no-cache', '-j', '1', '--new-from-rev', 'HEAD'], { cwd: dir, env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' });
      const exit = once(child, 'exit');
      while (revDirs().length === 0 && child.exitCode === null) await sleep(5);
      expect(revDirs(), 'the export started').toHaveLength(1);
      child.kill(signal);
      const [status, killedBy] = await exit;
      // Ended by the signal itself, as the shell reports with the same code.
      expect(killedBy === signal || status === code, `${signal}: exit ${status} ${killedBy}`).toBe(true);
      expect(revDirs(), signal).toEqual([]);
    }
  });

  it('honours SIGINT and SIGTERM at any moment of the run, the analysis of REV included', async () => {
    const files: Record<string, string> = { 'go.mod': 'module m\n' };
    for (let i = 0; i < 400; i++) files[`p${i % 20}/f${i}.go`] = OLD_HAZARD.replace('package m', `package p${i % 20}`).replace('old', `old${i}`);
    const { dir, commit } = repo(files);
    commit('one');
    const tmp = tempTree({});
    let interrupted = 0;
    // The signals land at fractions of an uninterrupted run's length, so that a fast machine and a busy one both
    // see them from the export through both analyses.
    const t0 = performance.now();
    spawnSync(process.execPath, [BIN, 'check', '--no-cache', '-j', '1', '--new-from-rev', 'HEAD'], { cwd: dir, env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' });
    const whole = performance.now() - t0;
    // A signal that lands in synchronous work is handled when it yields.
    for (const [i, delay] of [0.02, 0.08, 0.15, 0.22, 0.3, 0.38, 0.46, 0.55].map((f) => Math.round(f * whole)).entries()) {
      const [signal, code] = i % 2 === 0 ? (['SIGINT', 130] as const) : (['SIGTERM', 143] as const);
      const child = spawn(process.execPath, [BIN, 'check', '--no-cache', '-j', '1', '--new-from-rev', 'HEAD'], { cwd: dir, env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' });
      const exit = once(child, 'exit');
      await sleep(delay);
      const running = child.exitCode === null;
      child.kill(signal);
      const [status, killedBy] = await exit;
      if (running) {
        interrupted++;
        // Before the handler is installed (Node still starting) the signal's default action ends it: the shell sees the same code.
        expect(killedBy === signal || status === code, `${signal} after ${delay} ms: exit ${status} ${killedBy}`).toBe(true);
      }
      expect(readdirSync(tmp), `${signal} after ${delay} ms`).toEqual([]);
    }
    expect(interrupted).toBeGreaterThanOrEqual(6);
  });

  describe('on a hostile revision (a tree built with git mktree, as no checkout would make it)', () => {
    /** Writes objects with git plumbing: `entries` are mktree lines, blobs given by content. */
    function hostile(files: Record<string, string>) {
      const r = repo(files);
      r.commit('one');
      const input = (args: string[], text: string) => execFileSync('git', args, { cwd: r.dir, input: text, encoding: 'utf8' }).trim();
      const blob = (text: string) => input(['hash-object', '-w', '--stdin'], text);
      const tree = (lines: string[]) => input(['mktree'], lines.map((l) => `${l}\n`).join(''));
      const commitTree = (t: string) => r.git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit-tree', t, '-m', 'hostile');
      return { ...r, blob, tree, commitTree };
    }

    it('with an entry named `..` is refused before anything is written', () => {
      const { dir, git, blob, tree, commitTree } = hostile({ 'go.mod': 'module m\n', 'a.go': OLD_HAZARD });
      const evil = blob(OLD_HAZARD.replace('old', 'evil'));
      const up = tree([`100644 blob ${evil}\tevil.go`]);
      const rev = commitTree(tree([`040000 tree ${up}\t..`, `040000 tree ${tree([`040000 tree ${up}\t..`])}\tsub`, `100644 blob ${blob('module m\n')}\tgo.mod`]));
      const tmp = tempTree({});
      const r = spawnSync(process.execPath, [BIN, 'check', '--no-cache', '--new-from-rev', rev], { cwd: dir, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`gohazard: error: --new-from-rev: ${rev.slice(0, 12)} has a path git would not check out: "../evil.go"\n`);
      expect(readdirSync(tmp)).toEqual([]);
      expect(existsSync(path.join(path.dirname(dir), 'evil.go'))).toBe(false);
      expect(git('status', '--porcelain')).toBe('');
    });

    it('with symlinks that lead out, or folders behind them, writes and reads nothing outside its folder', async () => {
      const outside = tempTree({ 'secret.go': OLD_HAZARD.replace('old', 'secret') });
      const { dir, blob, tree, commitTree } = hostile({ 'go.mod': 'module m\n', 'a.go': OLD_HAZARD });
      const go = blob(OLD_HAZARD);
      const link = (target: string, name: string) => `120000 blob ${blob(target)}\t${name}`;
      const rev = commitTree(
        tree([
          `100644 blob ${blob('module m\n')}\tgo.mod`,
          // `out.go` first as a link out, then as a folder with a file: mkdir -p would follow the link.
          link(outside, 'out.go'),
          `040000 tree ${tree([`100644 blob ${go}\tplanted.go`])}\tout.go`,
          link(path.join(outside, 'secret.go'), 'abs.go'),
          link('../../../../../../../../../../..' + path.join(outside, 'secret.go'), 'up.go'),
          // Each link inside on its own, out together: `s.go` is the folder itself, `s.go/..` its parent.
          link('.', 's.go'),
          link('s.go/..', 'y.go'),
          link(`y.go/${path.basename(path.dirname(outside))}/${path.basename(outside)}/secret.go`, 'chained.go'),
          `100644 blob ${go}\tok.go`,
        ]),
      );
      const seen: string[] = [];
      await atRevision(resolveRevision(rev, dir, ['./...']), async (cwd) => {
        const root = realpathSync.native(cwd);
        // Walked by hand: readdirSync's recursive mode follows links to folders (`s.go` is one to itself).
        const walk = (rel: string): void => {
          for (const e of readdirSync(path.join(cwd, rel), { withFileTypes: true })) {
            const name = path.join(rel, e.name);
            if (e.isDirectory()) walk(name);
            let real: string;
            try {
              real = realpathSync.native(path.join(cwd, name));
            } catch {
              continue;
            }
            expect(real === root || real.startsWith(`${root}/`), name).toBe(true);
            seen.push(name);
          }
        };
        walk('');
      });
      expect(seen.sort()).toEqual(['go.mod', 'ok.go', 's.go']);
      expect(readdirSync(outside)).toEqual(['secret.go']);
    });
  });
});

