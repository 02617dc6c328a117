// Writes one commit's Go-relevant files from a bare mirror into a folder, straight from git's object store
// (`ls-tree` + `cat-file --batch`): no work tree, no checkout, so blobs a snapshot lacks are skipped rather than
// stopping the copy, and a path that would land outside the folder (`..`, absolute) is refused.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What the analyzer's loader reads: Go files, module files, and the ignore files that select them. */
const WANTED = /(\.go|(^|\/)go\.(mod|work)|(^|\/)\.gitignore)$/;
const DONE = '.gohazard-extracted';

/** The commit's blob entries that the analyzer needs, as { sha, path }. */
function goEntries(gitDir, commit) {
  const r = spawnSync('git', [`--git-dir=${gitDir}`, 'ls-tree', '-r', '-z', commit], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ls-tree ${commit} in ${gitDir}: ${r.stderr.toString().trim()}`);
  const out = [];
  for (const e of r.stdout.toString('utf8').split('\0')) {
    const tab = e.indexOf('\t');
    if (tab < 0) continue;
    const [mode, kind, sha] = e.slice(0, tab).split(' ');
    const file = e.slice(tab + 1);
    if (kind === 'blob' && mode !== '120000' && WANTED.test(file)) out.push({ sha, path: file });
  }
  return out;
}

/** Reads blobs one after another through one `cat-file --batch` process, calling `onBlob(entry, bytes|null)`. */
function readBlobs(gitDir, entries, onBlob) {
  return new Promise((resolve, reject) => {
    const cat = spawn('git', [`--git-dir=${gitDir}`, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = Buffer.alloc(0);
    let i = 0;
    cat.stdout.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (i < entries.length) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        const header = buf.subarray(0, nl).toString().split(' ');
        if (header[1] === 'missing') {
          onBlob(entries[i++], null);
          buf = buf.subarray(nl + 1);
          continue;
        }
        const size = Number(header[2]);
        if (buf.length < nl + 1 + size + 1) return;
        onBlob(entries[i++], buf.subarray(nl + 1, nl + 1 + size));
        buf = buf.subarray(nl + 1 + size + 1);
      }
    });
    cat.on('error', reject);
    cat.on('close', (code) => (i === entries.length ? resolve() : reject(new Error(`git cat-file exited ${code} after ${i} of ${entries.length} blobs`))));
    cat.stdin.end(entries.map((e) => e.sha).join('\n') + '\n');
  });
}

/**
 * Extracts `commit` of the bare repository `gitDir` into `dest` (Go files, go.mod/go.work, .gitignore), unless
 * `dest` already holds that commit. Returns { files, missing }.
 */
export async function extractTree(gitDir, commit, dest) {
  const marker = path.join(dest, DONE);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === commit) return JSON.parse(readFileSync(`${marker}.json`, 'utf8'));
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const root = path.resolve(dest);
  const entries = goEntries(gitDir, commit);
  let missing = 0;
  await readBlobs(gitDir, entries, (entry, bytes) => {
    const out = path.resolve(root, entry.path);
    if (!out.startsWith(root + path.sep)) throw new Error(`refusing ${JSON.stringify(entry.path)}: outside ${root}`);
    if (bytes === null) {
      missing++;
      return;
    }
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, bytes);
  });
  const result = { files: entries.length - missing, missing };
  writeFileSync(`${marker}.json`, JSON.stringify(result));
  writeFileSync(marker, `${commit}\n`);
  return result;
}
