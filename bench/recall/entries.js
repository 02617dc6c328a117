// Reads and checks the recall benchmark's labels: bench/recall/trees/<id>.json and bench/recall/kernels/<id>/label.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CLASSES = ['send-after-close', 'double-close', 'goroutine-leak', 'missing-unlock', 'double-lock', 'lock-order',
  'block-under-lock', 'waitgroup', 'cond', 'other'];
export const OPS = ['send', 'close', 'recv', 'lock', 'unlock', 'rlock', 'runlock', 'wait', 'add', 'done', 'signal', 'go',
  'select', 'range', 'call'];
const COMMIT = /^[0-9a-f]{40}$/;

/** What is wrong with one label, as a list of sentences (empty when it is well-formed). */
export function labelProblems(label, expectedId, kind) {
  const p = [];
  const need = (cond, msg) => cond || p.push(msg);
  need(label.id === expectedId, `id ${JSON.stringify(label.id)} is not its file's name ${expectedId}`);
  need(/^[a-z0-9]+(-[a-z0-9]+)*$/.test(label.id ?? ''), 'id is not kebab-case');
  need(label.kind === kind, `kind must be "${kind}"`);
  need(label.split === 'dev' || label.split === 'check', 'split must be "dev" or "check"');
  need(CLASSES.includes(label.class), `class must be one of ${CLASSES.join(', ')}`);
  need(/^[\w.-]+\/[\w.-]+$/.test(label.repo ?? ''), 'repo must be owner/name');
  need(/^https:\/\//.test(label.source ?? ''), 'source must be the URL of the issue or pull request');
  need(typeof label.summary === 'string' && label.summary.length >= 20, 'summary must say what goes wrong');
  if (kind === 'tree') {
    need(COMMIT.test(label.fix ?? ''), 'fix must be a 40-hex commit');
    need(COMMIT.test(label.buggy ?? ''), 'buggy must be a 40-hex commit');
  } else {
    need(label.fix === '' || COMMIT.test(label.fix ?? ''), 'fix must be a 40-hex commit or ""');
  }
  need(Array.isArray(label.sites) && label.sites.length > 0, 'sites must list the faulty operations');
  for (const s of label.sites ?? []) {
    need(typeof s.file === 'string' && !path.isAbsolute(s.file) && !s.file.split('/').includes('..'), `site file ${s.file} must be relative`);
    need(Number.isInteger(s.line) && s.line > 0, `site line ${s.line} must be a positive integer`);
    need(OPS.includes(s.op), `site op ${s.op} must be one of ${OPS.join(', ')}`);
  }
  return p;
}

/** Every entry, trees then kernels, each in id order; throws on the first malformed label. */
export function loadEntries(recallDir) {
  const entries = [];
  const treesDir = path.join(recallDir, 'trees');
  if (existsSync(treesDir)) {
    for (const f of readdirSync(treesDir).filter((n) => n.endsWith('.json')).sort()) {
      entries.push(checked(path.join(treesDir, f), f.slice(0, -'.json'.length), 'tree'));
    }
  }
  const kernelsDir = path.join(recallDir, 'kernels');
  if (existsSync(kernelsDir)) {
    for (const d of readdirSync(kernelsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      const file = path.join(kernelsDir, d, 'label.json');
      if (existsSync(file)) entries.push(checked(file, d, 'kernel'));
    }
  }
  return entries;
}

function checked(file, id, kind) {
  const label = JSON.parse(readFileSync(file, 'utf8'));
  const problems = labelProblems(label, id, kind);
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return label;
}
