import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempTree } from './helpers.js';

const HAZARD = 'package m\n\nfunc F(ch chan int) {\n\tclose(ch)\n\tclose(ch)\n}\n';

/** A git repository with a Go module in a subfolder, as a monorepo job with `working-directory:` sees it. */
function monorepo(): { top: string; sub: string } {
  const top = realpathSync(tempTree({ 'README.md': 'repo\n', 'services/api/go.mod': 'module m\n', 'services/api/a.go': HAZARD }));
  execFileSync('git', ['init', '-q'], { cwd: top });
  return { top, sub: path.join(top, 'services', 'api') };
}

describe('--path-mode: report paths relative to the repository root by default, from any folder', () => {
  it('github, checkstyle and code-climate name the file from the git top level when run in a subfolder', () => {
    const { sub } = monorepo();
    const github = cli(['check', '--no-cache', '--format', 'github', './...'], sub).stdout;
    expect(github).toMatch(/^::error file=services\/api\/a\.go,line=5,col=2,title=gohazard double-close::.*\(.* at services\/api\/a\.go:4:2\)$/m);
    expect(cli(['check', '--no-cache', '--format', 'checkstyle', './...'], sub).stdout).toContain('<file name="services/api/a.go">');
    expect(JSON.parse(cli(['check', '--no-cache', '--format', 'code-climate', './...'], sub).stdout)[0].location.path).toBe('services/api/a.go');
  });

  it('text stays relative to the working directory unless asked; cwd and absolute apply to every format', () => {
    const { top, sub } = monorepo();
    expect(cli(['check', '--no-cache', './...'], sub).stdout).toMatch(/^a\.go:5:2: error: double-close/);
    expect(cli(['check', '--no-cache', '--path-mode', 'root', './...'], sub).stdout).toMatch(/^services\/api\/a\.go:5:2: error: double-close/);
    expect(cli(['check', '--no-cache', '--format', 'github', '--path-mode', 'cwd', './...'], sub).stdout).toMatch(/^::error file=a\.go,line=5,/);
    expect(cli(['check', '--no-cache', '--format', 'github', '--path-mode', 'absolute', './...'], sub).stdout).toContain(`file=${path.join(top, 'services/api/a.go').replace(/:/g, '%3A')},line=5,`);
  });

  it('outside git, the analysis root stands for the repository root', () => {
    const dir = realpathSync(tempTree({ 'go.mod': 'module m\n', 'pkg/a.go': HAZARD }));
    expect(cli(['check', '--no-cache', '--format', 'github', './...'], path.join(dir, 'pkg')).stdout).toMatch(/^::error file=a\.go,line=5,/);
    expect(cli(['check', '--no-cache', '--format', 'github', './pkg/...'], dir).stdout).toMatch(/^::error file=pkg\/a\.go,line=5,/);
  });
});
