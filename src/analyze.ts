import path from 'node:path';
import { DEFAULT_CACHE_MAX_BYTES, pruneCache } from './cache/prune.js';
import { RunStore, runKey, type FileDirectives } from './cache/runs.js';
import type { Diagnostic } from './diagnostics.js';
import { compareFindings, CONFIDENCE_RANK, distinctAssumptions, fingerprintOf, lessConfident, messageWithAssumptions, reportedSeverity, SEVERITY_RANK, type Finding } from './findings.js';
import { blame, blamed } from './blame.js';
import { buildIndex } from './index/index.js';
import { colOf, lineOf, MAX_NESTING, type FileSummary } from './ir.js';
import { DEFAULT_TARGET, type BuildTarget } from './load/buildtags.js';
import { load, type LoadResult } from './load/discover.js';
import { placeUnderImportRoot } from './load/importroot.js';
import { parseAll } from './parse/pool.js';
import { buildProgram, settlePackageClauses, type FileWithPackage, type Program } from './program.js';
import { buildCallGraph, type CallGraph } from './resolve/callgraph.js';
import { callStats, type CallStats } from './resolve/stats.js';
import { SyncFacts } from './facts/engine.js';
import { attachFixes } from './fix/attach.js';
import { verifyFixes } from './fix/verify.js';
import type { ReorderPlan } from './fix/reorder.js';
import { LockFacts } from './facts/locks/facts.js';
import { reachedAssumption } from './facts/program/reached.js';
import { explore, NOTHING_EXPLORED, type Exploration, type ExploreStats } from './explore/explore.js';
import { checkHeap, checkPackageHeap, overBudget, summaryBudget } from './memory.js';
import { DEFAULT_SETTINGS, type Rule, type RuleContext, type RuleSettings } from './rule.js';
import { DEFAULT_RULES } from './rules.js';

export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface AnalyzeOptions {
  patterns: string[];
  cwd?: string;
  tests?: boolean;
  target?: BuildTarget;
  maxFileBytes?: number;
  workers?: number;
  /** Report findings located in generated files too. */
  includeGenerated?: boolean;
  rules?: readonly Rule[];
  settings?: Partial<RuleSettings>;
  /** Persistent summary cache folder (see src/cache/); absent: no cache. */
  cacheDir?: string;
  cacheMaxBytes?: number;
  /** Also report problems that only cost speed, such as a corrupt cache entry. */
  verbose?: boolean;
  /**
   * The caller can run the command again in a Node with a larger heap: a tree too large for this one
   * then throws NeedsLargerHeap before parsing (see src/memory.ts).
   */
  relaunch?: boolean;
  /**
   * Offer fixes, each proven by analyzing the program again with it applied (default: true). A run whose findings
   * are only compared with others (the revision's tree under --new-from-rev) offers none and spares that analysis.
   */
  fixes?: boolean;
  /** Said at once, not with the report: a run that may die before it reports (out of memory). */
  onWarning?: (message: string) => void;
  /** `total` 0: a phase without a count (everything after parsing). */
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface PhaseTimes {
  load: number;
  parse: number;
  index: number;
  resolve: number;
  facts: number;
  rules: number;
  total: number;
}

export interface Stats {
  /** The results were reused from an identical earlier run (see src/cache/runs.ts): nothing was analyzed. */
  reused: boolean;
  files: number;
  packages: number;
  lines: number;
  bytes: number;
  syntaxErrors: number;
  skipped: number;
  /** Files whose summary came from the cache. */
  cached: number;
  /** Left out by Go's rules: _test.go without --tests, build constraints, GOOS/GOARCH suffixes, skipped folders. */
  excluded: number;
  workers: number;
  /** Milliseconds per phase. */
  timings: PhaseTimes;
  /** Milliseconds per rule within the rules phase, and for the lock facts the lock rules share (`lock facts`); absent when reused. */
  ruleTimes?: Record<string, number>;
  /** What the schedule explorer did; absent when no rule asked for it, or when reused. */
  explore?: ExploreStats;
  calls: CallStats;
}

/** What a report needs from a run: the same whether the run was analyzed or reused. */
export interface RunResult {
  root: string;
  findings: Finding[];
  diagnostics: Diagnostic[];
  /** The `//gohazard:` directives of the analyzed files, for suppressions. */
  directives: FileDirectives[];
  /** Every analyzed file, relative to `root`: what exclude patterns are checked against. */
  paths: string[];
  stats: Stats;
}

export interface AnalysisResult extends RunResult {
  program: Program;
  graph: CallGraph;
}

/** load → parse+summarize → index → resolve → facts → rules. Never throws for bad input: problems become diagnostics. */
export async function analyze(opts: AnalyzeOptions): Promise<AnalysisResult> {
  const t0 = performance.now();
  const loaded = load(opts.patterns, { cwd: opts.cwd ?? process.cwd(), tests: opts.tests ?? false, target: opts.target ?? DEFAULT_TARGET });
  return analyzeLoaded(opts, loaded, t0);
}

/**
 * analyze(), unless the cache holds a run over the same bytes with the same options and build: then
 * its results. The program itself is not kept, so this is for reports, not for `explain`.
 */
export async function analyzeOrReuse(opts: AnalyzeOptions): Promise<RunResult> {
  const t0 = performance.now();
  const cwd = opts.cwd ?? process.cwd();
  const loaded = load(opts.patterns, { cwd, tests: opts.tests ?? false, target: opts.target ?? DEFAULT_TARGET });
  if (opts.cacheDir === undefined) return analyzeLoaded(opts, loaded, t0);
  const store = new RunStore(opts.cacheDir);
  const key = runKey(
    {
      root: path.relative(cwd, loaded.root),
      tests: opts.tests ?? false,
      target: opts.target ?? DEFAULT_TARGET,
      maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      includeGenerated: opts.includeGenerated ?? false,
      rules: (opts.rules ?? DEFAULT_RULES).map((r) => r.meta.id),
      settings: opts.settings ?? null,
      fixes: opts.fixes !== false,
    },
    loaded.files,
    opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
  );
  const found = store.get(key);
  if (found.kind === 'hit') {
    const { run } = found;
    const t1 = performance.now();
    const none = { parse: 0, index: 0, resolve: 0, facts: 0, rules: 0 };
    return {
      root: loaded.root,
      findings: run.findings,
      diagnostics: [...loaded.diagnostics, ...run.diagnostics],
      directives: run.directives,
      paths: run.paths,
      stats: {
        reused: true,
        ...run.counts,
        cached: run.counts.files,
        workers: 0,
        timings: { load: t1 - t0, ...none, total: t1 - t0 },
        calls: run.calls,
      },
    };
  }
  const result = await analyzeLoaded(opts, loaded, t0);
  const { stats } = result;
  const problem = store.put(key, {
    findings: result.findings,
    // The loader's diagnostics are recomputed on every run; a cache note says nothing about the tree.
    diagnostics: result.diagnostics.slice(loaded.diagnostics.length).filter((d) => !d.message.startsWith('cache: ')),
    directives: result.directives,
    paths: result.paths,
    counts: {
      files: stats.files,
      packages: stats.packages,
      lines: stats.lines,
      bytes: stats.bytes,
      syntaxErrors: stats.syntaxErrors,
      skipped: stats.skipped,
      excluded: stats.excluded,
    },
    calls: stats.calls,
  });
  if (opts.verbose && found.kind === 'corrupt') result.diagnostics.push({ severity: 'warning', message: `cache: dropped a corrupt run entry (${found.reason}) and rebuilt it` });
  // A folder that cannot take summaries cannot take this either: one line says so.
  const told = result.diagnostics.some((d) => d.message.startsWith('cache: '));
  if (opts.verbose && problem !== undefined && !told) result.diagnostics.push({ severity: 'warning', message: `cache: ${problem}` });
  return result;
}

async function analyzeLoaded(opts: AnalyzeOptions, loaded: LoadResult, t0: number): Promise<AnalysisResult> {
  const cwd = opts.cwd ?? process.cwd();
  const target = opts.target ?? DEFAULT_TARGET;
  const workers = opts.workers ?? Math.max(1, (await import('node:os')).availableParallelism());
  const diagnostics = [...loaded.diagnostics];
  const heapWarning = checkHeap(loaded.files.map((f) => f.abs), { relaunch: opts.relaunch === true, maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES });
  if (heapWarning !== undefined) {
    if (opts.onWarning) opts.onWarning(heapWarning);
    else diagnostics.push({ severity: 'warning', message: heapWarning });
  }
  const t1 = performance.now();
  const budget = summaryBudget();

  const outcomes = await parseAll(
    loaded.files.map((f) => ({ abs: f.abs, rel: f.rel })),
    {
      target,
      maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      maxSummaryBytes: budget,
      ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
    },
    { workers, onProgress: (done, total) => opts.onProgress?.('parse', done, total) },
  );
  // Pruning only after a run that added entries: a warm run leaves the cache as large as it was.
  if (opts.cacheDir !== undefined && outcomes.some((o) => o.kind === 'summary' && o.cache === 'stored')) {
    pruneCache(opts.cacheDir, opts.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES);
  }
  const t2 = performance.now();

  const shown = (rel: string) => {
    const r = path.relative(cwd, path.join(loaded.root, rel));
    return r.startsWith('..') ? path.join(loaded.root, rel) : r;
  };
  const files: Sized[] = [];
  const byFolder: Sized[] = [];
  let excluded = loaded.excludedByRules;
  let skipped = 0;
  let syntaxErrors = 0;
  let cached = 0;
  // Cache problems only cost speed; one line per distinct problem, not one per file (a read-only cache).
  const cacheNotes = new Map<string, { path: string; count: number }>();
  outcomes.forEach((o, i) => {
    const f = loaded.files[i]!;
    if (o.kind === 'excluded') excluded++;
    else if (o.kind === 'skipped') {
      skipped++;
      diagnostics.push({ severity: f.explicit ? 'error' : 'warning', path: shown(f.rel), message: `skipped: ${o.reason}` });
    } else {
      const file = { summary: o.summary, importPath: f.importPath, dir: f.dir, jsonBytes: o.jsonBytes };
      files.push(file);
      if (f.byFolder) byFolder.push(file);
      if (o.cache === 'hit') cached++;
      if (o.cacheNote && opts.verbose) {
        const seen = cacheNotes.get(o.cacheNote);
        if (seen) seen.count++;
        else cacheNotes.set(o.cacheNote, { path: shown(f.rel), count: 1 });
      }
      const err = o.summary.syntaxError;
      if (err) {
        syntaxErrors++;
        diagnostics.push({
          severity: 'warning',
          path: shown(f.rel),
          line: lineOf(err.pos),
          col: colOf(err.pos),
          message: `syntax error (${err.message}); the rest of the file is still analyzed`,
        });
      }
      const deep = o.summary.tooDeep;
      if (deep !== undefined) {
        diagnostics.push({
          severity: 'warning',
          path: shown(f.rel),
          line: lineOf(deep),
          col: colOf(deep),
          message: `nested more than ${MAX_NESTING} levels deep; the deeper part is not analyzed, the rest of the file is`,
        });
      }
    }
  });
  placeUnderImportRoot(byFolder);
  for (const [note, { path: p, count }] of cacheNotes) {
    const more = count > 1 ? ` (and ${count - 1} more file${count > 2 ? 's' : ''})` : '';
    diagnostics.push({ severity: 'warning', path: p, message: `cache: ${note}${more}` });
  }
  const largest = largestPackage(files);
  if (largest) checkPackageHeap(largest, opts.relaunch === true);
  const settled = settlePackageClauses(withinBudget(files, budget, (d) => diagnostics.push({ ...d, path: shown(d.path) })));
  // A file named on the command line and left out (no package clause) is an error, as for one too large.
  const named = new Set(loaded.files.filter((f) => f.explicit).map((f) => f.rel));
  for (const d of settled.dropped) diagnostics.push({ severity: named.has(d.path) ? 'error' : 'warning', path: shown(d.path), message: d.message });
  const { program, graph, findings, times, ruleTimes, exploreStats } = wholeProgram(loaded.root, settled.files, opts, (d) =>
    diagnostics.push(d.path === undefined ? d : { ...d, path: shown(d.path) }),
  );
  const t3 = performance.now();

  const summaries: FileSummary[] = files.map((f) => f.summary);
  return {
    root: loaded.root,
    program,
    graph,
    findings,
    diagnostics,
    directives: summaries.filter((f) => f.directives.length > 0).map((f) => ({ path: f.path, directives: f.directives })),
    paths: summaries.map((f) => f.path),
    stats: {
      reused: false,
      files: summaries.length,
      packages: program.packages.length,
      lines: summaries.reduce((n, s) => n + s.lines, 0),
      bytes: summaries.reduce((n, s) => n + s.bytes, 0),
      syntaxErrors,
      skipped,
      cached,
      excluded,
      workers,
      timings: { load: t1 - t0, parse: t2 - t1, ...times, total: t3 - t0 },
      ruleTimes,
      ...(exploreStats ? { explore: exploreStats } : {}),
      calls: callStats(graph),
    },
  };
}

/** A parsed file with the length of its summary's JSON: what the memory budget counts. */
type Sized = FileWithPackage & { jsonBytes: number };

/** The package with the most summary, with its size and its source's. */
function largestPackage(files: Sized[]): { dir: string; summaryBytes: number; sourceBytes: number } | undefined {
  const sizes = new Map<string, { dir: string; summaryBytes: number; sourceBytes: number }>();
  for (const f of files) {
    const size = sizes.get(f.dir) ?? { dir: f.dir, summaryBytes: 0, sourceBytes: 0 };
    size.summaryBytes += f.jsonBytes;
    size.sourceBytes += f.summary.bytes;
    sizes.set(f.dir, size);
  }
  return [...sizes.values()].reduce<{ dir: string; summaryBytes: number; sourceBytes: number } | undefined>((a, b) => (a && a.summaryBytes >= b.summaryBytes ? a : b), undefined);
}

/** Leaves out each package whose summaries together are over the memory budget, with a warning each. */
function withinBudget(files: Sized[], budget: number, warn: (d: Diagnostic & { path: string }) => void): Sized[] {
  const bytes = new Map<string, number>();
  for (const f of files) bytes.set(f.dir, (bytes.get(f.dir) ?? 0) + f.jsonBytes);
  const over = new Set([...bytes].filter(([, n]) => n > budget).map(([dir]) => dir));
  for (const dir of over) warn({ severity: 'warning', path: dir, message: `skipped: ${overBudget('the package has', bytes.get(dir)!, budget)}` });
  return over.size === 0 ? files : files.filter((f) => !over.has(f.dir));
}

/** Packages left out for internal errors before a run gives up (then the error is the run's). */
const MAX_LEFT_OUT = 8;

/**
 * index → resolve → facts → rules. An internal error in the first three loses the package whose file
 * they were working on (see blame.ts): it is left out with an error (the run is incomplete: exit 2) and
 * the phases run again without it, from scratch, as they keep no state a failed run could have spoiled.
 * Blame is cleared before each phase, so that an error outside any file's loop is never pinned on the
 * last file an earlier loop saw (an unrelated package): with no file to blame, the error is the run's.
 * One in a rule loses that rule's remaining findings. Neither costs anything until it happens.
 */
function wholeProgram(root: string, all: FileWithPackage[], opts: AnalyzeOptions, warn: (d: Diagnostic) => void) {
  const phase = (name: string) => opts.onProgress?.(name, 0, 0);
  let files = all;
  for (let leftOut = 0; ; leftOut++) {
    const t0 = performance.now();
    let graph: CallGraph;
    let facts: SyncFacts;
    let program: Program;
    const times = { index: 0, resolve: 0, facts: 0, rules: 0 };
    const ruleTimes: Record<string, number> = {};
    try {
      // The phases after parsing have no per-file count; naming each keeps a long run from looking stuck.
      phase('indexing');
      blame(undefined);
      program = buildProgram(root, files);
      const index = buildIndex(program);
      const tIndex = performance.now();
      phase('resolving calls');
      blame(undefined);
      graph = buildCallGraph(program, index);
      const tResolve = performance.now();
      phase('channel facts');
      blame(undefined);
      facts = new SyncFacts(graph);
      const tFacts = performance.now();
      Object.assign(times, { index: tIndex - t0, resolve: tResolve - tIndex, facts: tFacts - tResolve });
    } catch (err) {
      const file = blamed();
      const at = file && files.find((f) => f.summary === file);
      if (!at || leftOut === MAX_LEFT_OUT) throw err;
      files = files.filter((f) => f.dir !== at.dir);
      warn({
        severity: 'error',
        path: at.dir,
        message: `internal error (${errorMessage(err)}) while analyzing ${file.path}: this folder's package is left out, the rest is analyzed; please report this bug`,
      });
      continue;
    }
    phase('rules');
    const t1 = performance.now();
    const settings: RuleSettings = { ...DEFAULT_SETTINGS, ...opts.settings };
    // Built only when a rule asks for them: a run with every lock rule (or every explorer rule) off skips them.
    let locks: LockFacts | undefined;
    let explored: Exploration | undefined;
    // Each is built inside whichever rule asks first: timed apart, not charged to that rule.
    let sharedMs = 0;
    let sharedMsCharged = 0;
    const analysis = {
      program,
      graph,
      facts,
      settings,
      get locks() {
        if (!locks) {
          const start = performance.now();
          locks = new LockFacts(facts);
          ruleTimes['lock facts'] = performance.now() - start;
          sharedMs += ruleTimes['lock facts'];
        }
        return locks;
      },
      get explored() {
        if (!explored) {
          const start = performance.now();
          // The explorer runs with its own rule: until it is on, the other rules add no verdicts of it either.
          explored = (opts.rules ?? DEFAULT_RULES).some((r) => r.meta.id === 'deadlock') ? explore(graph, facts.noReturn) : NOTHING_EXPLORED;
          if (explored !== NOTHING_EXPLORED) {
            ruleTimes['explore'] = performance.now() - start;
            sharedMs += ruleTimes['explore'];
          }
        }
        return explored;
      },
    };
    const findings = runRules(
      analysis,
      opts.rules ?? DEFAULT_RULES,
      opts.includeGenerated ?? false,
      (rule, err) =>
        warn({
          severity: 'error',
          message: `internal error (${errorMessage(err)}) in rule ${rule.meta.id}: some of its findings may be missing; please report this bug`,
        }),
      (rule, ms) => {
        ruleTimes[rule.meta.id] = ms - (sharedMs - sharedMsCharged);
        sharedMsCharged = sharedMs;
      },
      opts.fixes !== false,
    );
    if (findings.some((f) => f.fix)) {
      const t = performance.now();
      proveFixes(root, files, findings, analysis, opts);
      ruleTimes['fix proof'] = performance.now() - t;
    }
    times.rules = performance.now() - t1;
    return { program, graph, findings, times, ruleTimes, exploreStats: explored?.stats };
  }
}

/**
 * Every fix offered must be proven by analyzing the program again with it applied (src/fix/verify.ts):
 * with every default rule, whichever rules this run reports, so that a fix cannot trade the finding for
 * one of a rule that is off here.
 */
function proveFixes(root: string, files: FileWithPackage[], findings: Finding[], analysis: Pick<RuleContext, 'program' | 'graph' | 'facts' | 'locks' | 'explored' | 'settings'>, opts: AnalyzeOptions): void {
  const includeGenerated = opts.includeGenerated ?? false;
  const ran = new Set((opts.rules ?? DEFAULT_RULES).map((r) => r.meta.id));
  const others = runRules(analysis, DEFAULT_RULES.filter((r) => !ran.has(r.meta.id)), includeGenerated, undefined, undefined, false);
  verifyFixes({
    root,
    files,
    findings,
    before: new Set([...findings, ...others].map((f) => f.fingerprint)),
    analyzeFiles: (edited) => {
      const program = buildProgram(root, edited);
      const facts = new SyncFacts(buildCallGraph(program, buildIndex(program)));
      let locks: LockFacts | undefined;
      let explored: Exploration | undefined;
      const again = {
        program,
        graph: facts.graph,
        facts,
        settings: analysis.settings,
        get locks() {
          return (locks ??= new LockFacts(facts));
        },
        get explored() {
          return (explored ??= (opts.rules ?? DEFAULT_RULES).some((r) => r.meta.id === 'deadlock') ? explore(facts.graph, facts.noReturn) : NOTHING_EXPLORED);
        },
      };
      return runRules(again, DEFAULT_RULES, includeGenerated, undefined, undefined, false);
    },
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function runRules(
  analysis: Pick<RuleContext, 'program' | 'graph' | 'facts' | 'locks' | 'explored' | 'settings'>,
  rules: readonly Rule[],
  includeGenerated: boolean,
  onError: (rule: Rule, err: unknown) => void = (_rule, err) => {
    throw err;
  },
  onTimed?: (rule: Rule, ms: number) => void,
  /** Turn the rules' reorder plans into fixes (off when the run only checks a fix). */
  withFixes = true,
): Finding[] {
  const findings: Finding[] = [];
  const plans = new Map<Finding, ReorderPlan>();
  const yielding = new Set<Finding>();
  for (const rule of rules) {
    const start = performance.now();
    try {
      runRule(analysis, rule, includeGenerated, findings, plans, yielding);
    } catch (err) {
      onError(rule, err);
    }
    onTimed?.(rule, performance.now() - start);
  }
  const kept = onePerPlace(findings, plans);
  if (withFixes) attachFixes(analysis.program.root, plans);
  return withoutYielded(kept, yielding).sort(compareFindings);
}

/**
 * One finding per rule, position and origin (where its first flow starts: the function that closes, say).
 * A rule can reach one operation from one origin by two arguments (send-after-close: the same send after
 * a close in sequence, and from a goroutine the closer started): the reader saw one hazard printed twice.
 * Two origins (two functions that each start the sender and close) stay two findings: each needs its own
 * fix. Findings without a flow are left alone. The strongest is kept (severity, confidence, then one with a fix, then the first
 * reported), the others' messages go into its related locations, and their plans are dropped.
 */
function onePerPlace(findings: Finding[], plans: Map<Finding, ReorderPlan>): Finding[] {
  const strength = (f: Finding) => [SEVERITY_RANK[f.severity], CONFIDENCE_RANK[f.confidence], plans.has(f) ? 1 : 0];
  const stronger = (a: Finding, b: Finding) => {
    const [x, y] = [strength(a), strength(b)];
    const i = x.findIndex((v, k) => v !== y[k]);
    return i !== -1 && (x[i] ?? 0) > (y[i] ?? 0);
  };
  const byPlace = new Map<string | Finding, Finding[]>();
  for (const f of findings) {
    const origin = f.flows[0]?.steps[0]?.location;
    const at = (l: Finding['location']) => `${l.path}\0${l.line}\0${l.col}`;
    const key = origin === undefined ? f : `${f.ruleId}\0${at(f.location)}\0${at(origin)}`;
    byPlace.set(key, [...(byPlace.get(key) ?? []), f]);
  }
  const kept = new Set<Finding>();
  for (const same of byPlace.values()) {
    const best = same.reduce((a, b) => (stronger(b, a) ? b : a));
    for (const other of same) if (other !== best) best.related.push({ location: other.location, message: `also: ${other.message}` });
    kept.add(best);
  }
  for (const f of plans.keys()) if (!kept.has(f)) plans.delete(f);
  return findings.filter((f) => kept.has(f));
}

/** One finding per hazard: a yielding finding goes when another one is at its location or a related one. */
function withoutYielded(findings: Finding[], yielding: ReadonlySet<Finding>): Finding[] {
  if (!yielding.size) return findings;
  const at = (l: { path: string; line: number }) => `${l.path}:${l.line}`;
  const taken = new Set(findings.filter((f) => !yielding.has(f)).flatMap((f) => [f.location, ...f.related.map((r) => r.location)].map(at)));
  return findings.filter((f) => !yielding.has(f) || ![f.location, ...f.related.map((r) => r.location)].some((l) => taken.has(at(l))));
}

function runRule(
  analysis: Pick<RuleContext, 'program' | 'graph' | 'facts' | 'locks' | 'explored' | 'settings'>,
  rule: Rule,
  includeGenerated: boolean,
  findings: Finding[],
  plans: Map<Finding, ReorderPlan>,
  yielding: Set<Finding>,
): void {
  // The analysis is the context's prototype, not spread into it: spreading would read `locks`, which
  // builds the lock facts that only the lock rules need.
  const ctx: RuleContext = Object.assign(Object.create(analysis) as typeof analysis, {
    report(input: Parameters<RuleContext['report']>[0]) {
      if (input.generated && !includeGenerated) return;
      const { identity, reorder, yields, assumptions: assumed, testCode: inTest, ...rest } = input;
      // Whether the hazard's function runs at all is a question for every concurrency rule, asked of its place.
      const unseenCaller = rule.meta.tags.includes('concurrency') ? reachedAssumption(analysis.facts, input.location) : undefined;
      const assumptions = distinctAssumptions([...(assumed ?? []), ...(unseenCaller ? [unseenCaller] : [])]);
      const confidence = lessConfident(input.confidence, assumptions.length);
      const evidence = {
        ...(assumptions.length ? { assumptions } : {}),
        ...((inTest ?? input.location.path.endsWith('_test.go')) ? { testCode: true as const } : {}),
      };
      const finding: Finding = {
        ...rest,
        ruleId: rule.meta.id,
        severity: reportedSeverity(input.severity ?? rule.meta.severity, evidence, analysis.settings.testCodeSeverity),
        confidence,
        message: messageWithAssumptions(input.message, assumptions, confidence),
        fingerprint: fingerprintOf(rule.meta.id, identity),
        ...evidence,
      };
      findings.push(finding);
      if (reorder) plans.set(finding, reorder);
      if (yields) yielding.add(finding);
    },
  });
  rule.run(ctx);
}
