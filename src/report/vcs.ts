import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { VcsProvenance } from './sarif.js';

/**
 * The git checkout the analysis root is in, for SARIF's `versionControlProvenance`: revision, branch and,
 * when a remote named origin is set, its URI without credentials. Undefined outside a git checkout or
 * without a remote (SARIF requires the repository URI).
 */
export function gitProvenance(root: string): VcsProvenance | undefined {
  const revisionId = git(root, ['rev-parse', '--verify', '-q', 'HEAD']);
  const remote = git(root, ['remote', 'get-url', 'origin']);
  if (!revisionId || !remote) return undefined;
  const branch = git(root, ['symbolic-ref', '--short', '-q', 'HEAD']);
  return { repositoryUri: repositoryUri(remote), revisionId, ...(branch ? { branch } : {}) };
}

/**
 * A remote as an absolute URI: credentials removed, scp-style `git@host:path` written as `ssh://host/path`,
 * a local path as a file URI.
 */
export function repositoryUri(remote: string): string {
  if (path.isAbsolute(remote)) return pathToFileURL(remote).href;
  const scp = /^(?:[^@/]+@)?([^:/]{2,}):(?!\/)(.+)$/.exec(remote);
  if (scp) return `ssh://${scp[1]}/${scp[2]}`;
  try {
    const u = new URL(remote);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return remote;
  }
}

/** The top folder of the git checkout `dir` is in, if any. */
export function gitTopLevel(dir: string): string | undefined {
  return git(dir, ['rev-parse', '--show-toplevel']);
}

function git(cwd: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return out || undefined;
}
