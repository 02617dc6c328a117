// The benchmark corpus: real Go source from Debian packages, mirrored as symlinks into a temp folder
// so that a fraction of it can be analyzed and one file can be changed without touching /usr.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, appendFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';

const GOCODE = '/usr/share/gocode/src';

/** Each project: the Debian package that installs it and the folder it lands in. */
export const PROJECTS = [
  { name: 'go', pkg: 'golang-1.19-src', dir: '/usr/lib/go-1.19/src' },
  { name: 'etcd', pkg: 'golang-etcd-server-dev', dir: `${GOCODE}/go.etcd.io/etcd` },
  { name: 'docker', pkg: 'golang-github-docker-docker-dev', dir: `${GOCODE}/github.com/docker/docker` },
  { name: 'grpc', pkg: 'golang-google-grpc-dev', dir: `${GOCODE}/google.golang.org/grpc` },
  { name: 'raft', pkg: 'golang-github-hashicorp-raft-dev', dir: `${GOCODE}/github.com/hashicorp/raft` },
];

/** Installs the Debian packages whose folders are missing (apt-get, through sudo when not root). */
export function ensureInstalled(log) {
  const missing = PROJECTS.filter((p) => !existsSync(p.dir)).map((p) => p.pkg);
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} with apt-get`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args) => execFileSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit' });
  try {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  } catch {
    throw new Error(`could not install ${missing.join(' ')}; install them with apt-get and rerun`);
  }
  const still = PROJECTS.filter((p) => !existsSync(p.dir));
  if (still.length) throw new Error(`still missing after apt-get: ${still.map((p) => p.dir).join(', ')}`);
}

// The folders gohazard's loader skips; not mirrored, so the mirror stays small.
const skipDir = (name) => name === 'vendor' || name === 'testdata' || name === 'node_modules' || name.startsWith('.') || name.startsWith('_');

/**
 * Every package folder of the corpus (a folder with .go files), in a stable order, with its files.
 * Symlinks are followed and each real folder is visited once, as the loader does.
 */
export function listPackages() {
  const pkgs = [];
  const modFiles = [];
  for (const project of PROJECTS) {
    const seen = new Set();
    const walk = (dir, rel) => {
      const real = realpathSync(dir);
      if (seen.has(real)) return;
      seen.add(real);
      const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
      const files = [];
      for (const e of entries) {
        const abs = path.join(dir, e.name);
        const st = e.isSymbolicLink() ? statSync(abs, { throwIfNoEntry: false }) : e;
        if (!st) continue;
        if (st.isFile() && e.name.endsWith('.go')) files.push(e.name);
        else if (st.isFile() && (e.name === 'go.mod' || e.name === 'go.work')) modFiles.push({ src: abs, rel: path.join(project.name, rel, e.name) });
        else if (st.isDirectory() && !skipDir(e.name)) walk(abs, path.join(rel, e.name));
      }
      if (files.length) pkgs.push({ src: dir, rel: path.join(project.name, rel), files });
    };
    walk(project.dir, '');
  }
  return { pkgs, modFiles };
}

/**
 * Mirrors a fraction of the package folders (every 4th for 25%, two in four for 50%: spread over all
 * projects, and each smaller corpus is a subset of the larger one) into `dest` as symlinked files.
 */
export function mirror(corpus, fraction, dest) {
  rmSync(dest, { recursive: true, force: true });
  const quarters = Math.round(fraction * 4);
  const files = [];
  corpus.pkgs.forEach((pkg, i) => {
    if (i % 4 >= quarters) return;
    const dir = path.join(dest, pkg.rel);
    mkdirSync(dir, { recursive: true });
    for (const f of pkg.files) {
      symlinkSync(path.join(pkg.src, f), path.join(dir, f));
      files.push(path.join(dir, f));
    }
  });
  for (const m of corpus.modFiles) {
    const to = path.join(dest, m.rel);
    mkdirSync(path.dirname(to), { recursive: true });
    symlinkSync(m.src, to);
  }
  return files;
}

/** Edits one mirrored file (a real copy replaces the symlink) with a new comment line, as in a PR. */
export function changeOne(file) {
  if (lstatSync(file).isSymbolicLink()) {
    const src = realpathSync(file);
    unlinkSync(file);
    copyFileSync(src, file);
  }
  appendFileSync(file, `\n// changed by the gohazard benchmark at ${process.hrtime.bigint()}\n`);
}
