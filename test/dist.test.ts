import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

interface Stage {
  from: string;
  name?: string;
  /** Instructions after FROM, continuation lines joined. */
  body: { op: string; args: string }[];
}

/** The Dockerfile's stages: `docker build` is not available where the tests run, so its shape is checked. */
function stages(text: string): Stage[] {
  const logical = text
    .replace(/\\\n(\s*#[^\n]*\n)*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of logical) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      expect(m, line).not.toBeNull();
      out.push({ from: m![1]!, ...(m![2] ? { name: m![2] } : {}), body: [] });
    } else {
      expect(out.length, `${line} before any FROM`).toBeGreaterThan(0);
      out[out.length - 1]!.body.push({ op: op!.toUpperCase(), args });
    }
  }
  return out;
}

describe('container image (Dockerfile)', () => {
  const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
  const [build, final, ...more] = stages(dockerfile);

  it('builds the native module in a build stage that has the toolchain', () => {
    expect(more).toEqual([]);
    expect(build?.name).toBe('build');
    const runs = build!.body.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    for (const tool of ['g++', 'make', 'python3']) expect(runs).toContain(tool);
    expect(runs).toMatch(/npm ci\b/);
    // Whatever `npm ci` builds from (prepare runs tsc) is copied in first.
    const copied = build!.body.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'rules', 'bin']) expect(copied).toContain(needed);
  });

  it('ends in a small stage without the toolchain, run as a non-root user, with gohazard as the entrypoint', () => {
    expect(final!.from).toMatch(/-slim$|alpine|distroless/);
    expect(final!.body.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')).not.toMatch(/g\+\+|build-essential|python3/);
    const user = final!.body.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const fromBuild = final!.body.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build '));
    expect(fromBuild.map((i) => i.args.split(/\s+/)[1])).toEqual(expect.arrayContaining(['/build/dist', '/build/node_modules', '/build/bin', '/build/rules']));
    expect(final!.body.at(-2)).toEqual({ op: 'ENTRYPOINT', args: '["gohazard"]' });
    // Run from the mounted repository.
    expect(final!.body.filter((i) => i.op === 'WORKDIR').at(-1)?.args).toBe('/src');
  });

  it('keeps local builds and the repository history out of the build context', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['.git', 'node_modules', 'dist']) expect(ignored).toContain(p);
    // And nothing the build stage copies is ignored.
    for (const i of build!.body.filter((x) => x.op === 'COPY')) for (const src of i.args.split(/\s+/).slice(0, -1)) {
      expect(ignored, src).not.toContain(src);
      expect(existsSync(path.join(REPO, src)), src).toBe(true);
    }
  });

  it('is documented with the command that builds and runs it', () => {
    const docs = readFileSync(path.join(REPO, 'docs', 'ci.md'), 'utf8');
    expect(docs).toContain('docker build -t gohazard .');
    expect(docs).toMatch(/docker run --rm -v "\$PWD:\/src" gohazard check/);
  });
});

describe('release workflow', () => {
  const yml = readFileSync(path.join(REPO, '.github', 'workflows', 'release.yml'), 'utf8');

  it('runs on version tags and builds the npm tarball and the image', () => {
    expect(yml).toMatch(/on:\n\s+push:\n\s+tags:\n\s+- 'v\*'/);
    expect(yml).toContain('npm pack');
    expect(yml).toMatch(/docker\/build-push-action@v\d+/);
    expect(yml).toContain('gohazard-${{ steps.meta.outputs.version }}.tgz');
  });
});
