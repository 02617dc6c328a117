import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { analyze, analyzeOrReuse, DEFAULT_MAX_FILE_BYTES } from './analyze.js';
import { makeDirs } from './cache/entry.js';
import { DEFAULT_CACHE_MAX_BYTES } from './cache/prune.js';
import { defaultCacheDir } from './cache/store.js';
import { EMPTY_CONFIG, FAIL_ON, findConfig, loadConfig, type Config } from './config.js';
import { formatDiagnostic } from './diagnostics.js';
import { yieldToSignals } from './interrupt.js';
import { NeedsLargerHeap, rerunWithHeap } from './memory.js';
import { explainText, ExplainError, findFunc } from './explain.js';
import type { Confidence } from './findings.js';
import { runFix } from './fix/command.js';
import { runGate, type FailOn, type GateOutcome } from './gate/gate.js';
import { DIRECTIVE_RULES, UNUSED_IGNORE } from './gate/suppress.js';
import { DEFAULT_TARGET, isKnownArch, isKnownOS } from './load/buildtags.js';
import { analysisRoot } from './load/discover.js';
import { FORMATS, render, type Format } from './report/output.js';
import { colorWanted } from './report/text.js';
import { PATH_MODES, type PathMode } from './report/paths.js';
import { plural, summaryLine } from './report/summary.js';
import { progressMode, progressReporter } from './progress.js';
import type { ExploreStats } from './explore/explore.js';
import { formatCallStats } from './resolve/stats.js';
import { ALL_RULES, isEnabled } from './rules.js';
import { UsageError } from './usage-error.js';
import { ruleHelpMarkdown } from './rulehelp.js';
import { GRAMMAR_VERSION, VERSION } from './version.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

const EXIT_CODES_HELP = `
Exit codes:
  0  no findings at or above --fail-on (and no more than --max-findings)
  1  findings at or above --fail-on (default: error), or more than --max-findings
  2  usage error, a path that could not be analyzed (findings for the rest are still printed), or a report
     that could not be written`;

interface CheckOptions {
  format: OutputSpec[];
  output?: string;
  sarifCategory?: string;
  config?: string;
  enable?: string[];
  disable?: string[];
  failOn?: FailOn;
  minConfidence?: Confidence;
  maxFindings?: number;
  baseline?: string;
  writeBaseline?: string;
  newFromRev?: string;
  color: When;
  sourceLines: When;
  reportUnusedIgnores: boolean;
  includeSuppressed: boolean;
  stats: boolean;
  tests?: boolean;
  goos: string;
  goarch: string;
  tags: string[];
  includeGenerated: boolean;
  maxFileSize: number;
  jobs?: number;
  progress: boolean;
  cache: boolean;
  cacheDir?: string;
  cacheMaxSize: number;
  pathMode?: PathMode;
  verbose: boolean;
}

function parseSize(value: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(value.trim());
  if (!m?.[1]) throw new InvalidArgumentError('expected a size such as 4MiB, 512KiB or 100000');
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('m') ? 1 << 20 : unit.startsWith('k') ? 1 << 10 : 1;
  return Number(m[1]) * mult;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}

type When = 'auto' | 'always' | 'never';

interface OutputSpec {
  format: Format;
  file?: string;
}

/** `--format sarif:out.sarif`: a format, and the file it goes to (stdout without one). */
function collectFormat(value: string, previous: OutputSpec[]): OutputSpec[] {
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (!(FORMATS as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown format "${name}" (formats: ${FORMATS.join(', ')})`);
  const file = colon === -1 ? undefined : value.slice(colon + 1);
  if (file === '') throw new InvalidArgumentError(`"${value}": a file name after the colon`);
  return [...previous, { format: name as Format, ...(file !== undefined ? { file } : {}) }];
}

/** The reports to write: --output applies to the one format without a file; two reports cannot share stdout. */
function outputsOf(specs: OutputSpec[], output: string | undefined): OutputSpec[] {
  const all = specs.length === 0 ? [{ format: 'text' as Format }] : specs;
  const toStdout = all.filter((s) => s.file === undefined);
  if (output !== undefined) {
    if (toStdout.length !== 1) throw new UsageError('--output needs exactly one --format without a file (use --format name:file for the others)');
    return all.map((s) => (s.file === undefined ? { ...s, file: output } : s));
  }
  if (toStdout.length > 1) throw new UsageError(`${toStdout.map((s) => s.format).join(' and ')} would both go to stdout: give all but one a file (--format name:file)`);
  return all;
}

function parseTags(value: string): string[] {
  return value.split(/[,\s]+/).filter(Boolean);
}

function validated(check: (s: string) => boolean, what: string) {
  return (value: string) => {
    if (!check(value)) throw new InvalidArgumentError(`unknown ${what} "${value}"`);
    return value;
  };
}

function exploreStat(e: ExploreStats): string {
  return (
    `explore: ${e.entries} functions start goroutines: ${e.explored} searched to the end, ${e.cutByBudget} cut by the state budget ` +
    `(${e.states} states in all); ${e.harnesses} lifecycle harnesses: ${e.harnessesExplored} searched to the end, ${e.harnessesCut} cut; ` +
    `${e.verdicts} verdicts, ${e.assumed} of them on an assumption (a level lower, if reported)`
  );
}

function printStats(outcome: GateOutcome, newFromRev: string | undefined): void {
  const s = outcome.result.stats;
  const t = s.timings;
  const mb = (s.bytes / 1e6).toFixed(1);
  const lines = [
    `files: ${s.files} analyzed (${mb} MB, ${s.lines} lines, ${s.cached} from cache), ${s.skipped} skipped, ${s.excluded} excluded by build rules`,
    `packages: ${s.packages}`,
    `syntax errors: ${s.syntaxErrors} files`,
    findingsStat(outcome, newFromRev),
    ...formatCallStats(s.calls),
    s.reused
      ? `time: load and hash ${ms(t.load)}, total ${ms(t.total)}: results reused from an identical earlier run (same files, options and gohazard build)`
      : `time: load ${ms(t.load)}, parse+summarize ${ms(t.parse)} (${s.workers} workers), index ${ms(t.index)}, resolve ${ms(t.resolve)}, facts ${ms(t.facts)}, rules ${ms(t.rules)}, total ${ms(t.total)}`,
    ...(s.ruleTimes ? [`rules time: ${slowest(s.ruleTimes)}`] : []),
    ...(s.explore ? [exploreStat(s.explore)] : []),
    `peak memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  ];
  process.stderr.write(lines.map((l) => `gohazard: ${l}\n`).join(''));
}

/** What was reported, then what the gate held back, so that the count matches the report. */
function findingsStat(outcome: GateOutcome, newFromRev: string | undefined): string {
  const held = [
    [outcome.suppressed.length, 'suppressed'],
    [outcome.hidden.baseline, 'in the baseline'],
    [outcome.hidden.revision, `already at ${newFromRev}`],
  ] as const;
  const parts = held.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return `findings: ${outcome.findings.length}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/** The rules (and the lock facts they share) by time, slowest first: where the rules phase went. */
function slowest(times: Record<string, number>): string {
  return Object.entries(times)
    .sort((a, b) => b[1] - a[1])
    .map(([id, t]) => `${id} ${ms(t)}`)
    .join(', ');
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${n.toFixed(0)}ms`;
}

const KNOWN_RULES: ReadonlySet<string> = new Set([...ALL_RULES.map((r) => r.meta.id), ...DIRECTIVE_RULES.map((r) => r.id)]);

/**
 * --config, else the nearest .gohazard.json / gohazard.config.json at or above the analysis root; then
 * --enable and --disable over its `rules`, as `"id": "on"` and `"id": "off"` (a severity set there stays).
 */
function projectConfig(patterns: string[], cwd: string, explicit: string | undefined, flags: Partial<Pick<CheckOptions, 'enable' | 'disable'>> = {}): Config {
  const config = fileConfig(patterns, cwd, explicit);
  const enable = flags.enable ?? [];
  const disable = flags.disable ?? [];
  const both = enable.filter((id) => disable.includes(id));
  if (both.length > 0) throw new UsageError(`--enable and --disable both name ${both.join(', ')}`);
  if (enable.length === 0 && disable.length === 0) return config;
  const rules = new Map(config.rules);
  for (const id of enable) if (rules.get(id) === undefined || rules.get(id) === 'off') rules.set(id, 'on');
  for (const id of disable) rules.set(id, 'off');
  return { ...config, rules };
}

function fileConfig(patterns: string[], cwd: string, explicit: string | undefined): Config {
  if (explicit !== undefined) return loadConfig(explicit, KNOWN_RULES);
  const found = findConfig(analysisRoot(patterns, cwd));
  if (!found) return EMPTY_CONFIG;
  const shown = path.relative(cwd, found);
  return loadConfig(found, KNOWN_RULES, shown.startsWith('..') ? found : shown);
}

/** `--enable a,b`: rule ids, each one gohazard knows. */
function parseRuleIds(value: string, previous: string[] = []): string[] {
  const ids = value.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !KNOWN_RULES.has(id));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown rule ${unknown.map((id) => `"${id}"`).join(', ')} (run gohazard rules for the list)`);
  return [...previous, ...ids];
}

type AnalysisFlags = Pick<CheckOptions, 'tests' | 'goos' | 'goarch' | 'tags' | 'maxFileSize' | 'includeGenerated' | 'jobs' | 'cache' | 'cacheDir' | 'cacheMaxSize' | 'verbose'>;

/**
 * The same options for the working tree and, with --new-from-rev, for the tree of REV (named by `treeLabel`),
 * whose findings are only compared with the working tree's: no fixes offered there (`fixesAt`), none proven.
 */
function analyzerFor(
  opts: AnalysisFlags,
  config: Config,
  progress: ReturnType<typeof progressReporter>,
  treeLabel: (at: string) => string | undefined = () => undefined,
  fixesAt: (at: string) => boolean = () => true,
) {
  const rules = ALL_RULES.filter((r) => isEnabled(r.meta, config.rules.get(r.meta.id)));
  const cacheDir = opts.cache ? usableCacheDir(opts.cacheDir ?? defaultCacheDir()) : undefined;
  return (at: string, pats: string[]) =>
    analyzeOrReuse({
      patterns: pats,
      cwd: at,
      tests: opts.tests ?? config.tests ?? true,
      target: { goos: opts.goos, goarch: opts.goarch, tags: ['cgo', ...config.buildTags, ...opts.tags] },
      maxFileBytes: opts.maxFileSize,
      includeGenerated: opts.includeGenerated,
      rules,
      settings: { cleanupFunctions: config.cleanupFunctions, ...(config.testCodeSeverity ? { testCodeSeverity: config.testCodeSeverity } : {}) },
      ...(opts.jobs ? { workers: opts.jobs } : {}),
      ...(cacheDir !== undefined ? { cacheDir, cacheMaxBytes: opts.cacheMaxSize } : {}),
      verbose: opts.verbose,
      fixes: fixesAt(at),
      relaunch: true,
      onWarning: (message) => {
        progress.clear();
        process.stderr.write(`gohazard: warning: ${message}\n`);
      },
      onProgress: (phase, done, total) => progress.update(phase, done, total, treeLabel(at)),
    }).catch((err: unknown) => {
      // The command runs again in a larger heap (see main): its progress starts on a clean line.
      if (err instanceof NeedsLargerHeap) progress.clear();
      throw err;
    });
}

async function runCheck(patterns: string[], opts: CheckOptions): Promise<number> {
  const cwd = process.cwd();
  const config = projectConfig(patterns, cwd, opts.config, opts);
  const rules = ALL_RULES.filter((r) => isEnabled(r.meta, config.rules.get(r.meta.id)));
  const outputs = outputsOf(opts.format, opts.output);
  const progress = progressReporter(progressMode(opts.progress, process.stderr.isTTY === true, process.env));
  // With --new-from-rev two trees are analyzed: the progress names which one.
  const treeLabel = (at: string) => (opts.newFromRev === undefined ? undefined : at === cwd ? 'working tree' : opts.newFromRev);
  const analyzeAt = analyzerFor(opts, config, progress, treeLabel, (at) => at === cwd);
  const outcome = await runGate(cwd, patterns, analyzeAt, {
    config,
    knownRules: ALL_RULES.map((r) => r.meta),
    // The rule is off unless asked for, by the flag or like any opt-in rule (--enable, the config).
    reportUnusedIgnores: opts.reportUnusedIgnores || isEnabled(UNUSED_IGNORE, config.rules.get(UNUSED_IGNORE.id)),
    failOn: opts.failOn ?? config.failOn ?? 'error',
    ...(opts.minConfidence ?? config.minConfidence ? { minConfidence: opts.minConfidence ?? config.minConfidence } : {}),
    ...((opts.maxFindings ?? config.maxFindings) !== undefined ? { maxFindings: opts.maxFindings ?? config.maxFindings } : {}),
    ...(opts.baseline !== undefined ? { baseline: opts.baseline } : {}),
    ...(opts.writeBaseline !== undefined ? { writeBaseline: opts.writeBaseline } : {}),
    ...(opts.newFromRev !== undefined ? { newFromRev: opts.newFromRev } : {}),
  });
  progress.clear();
  const { result } = outcome;
  for (const d of result.diagnostics) process.stderr.write(`gohazard: ${formatDiagnostic(d)}\n`);
  const notes = [...outcome.notes];
  for (const out of outputs) {
    const toTerminal = out.file === undefined && process.stdout.isTTY === true;
    const report = render(out.format, outcome, {
      cwd,
      rules: [...rules.map((r) => r.meta), ...DIRECTIVE_RULES.filter((r) => config.rules.get(r.id) !== 'off')],
      config,
      includeSuppressed: opts.includeSuppressed,
      stats: opts.stats,
      ...(opts.sarifCategory !== undefined ? { sarifCategory: opts.sarifCategory } : {}),
      newFindingsOnly: opts.baseline !== undefined || opts.newFromRev !== undefined,
      text: {
        ...(toTerminal && process.stdout.columns ? { width: process.stdout.columns } : {}),
        // A report written to a file gets colour only when asked for by name: FORCE_COLOR is for what is shown.
        color: out.file === undefined ? colorWanted(opts.color, toTerminal, process.env) : opts.color === 'always',
        source: opts.sourceLines === 'auto' ? toTerminal : opts.sourceLines === 'always',
      },
      ...(opts.pathMode !== undefined ? { pathMode: opts.pathMode } : {}),
    });
    notes.push(...report.notes);
    if (out.file === undefined) process.stdout.write(report.text);
    else writeOutput(out.file, report.text);
  }
  for (const n of notes) process.stderr.write(`gohazard: ${n}\n`);
  if (opts.stats) printStats(outcome, opts.newFromRev);
  const unanalyzed = result.diagnostics.filter((d) => d.severity === 'error').length;
  const exit =
    unanalyzed > 0
      ? { code: EXIT_ERROR, reason: `${plural(unanalyzed, 'path')} could not be analyzed (above)` }
      : { code: outcome.failed ? EXIT_FINDINGS : EXIT_OK, reason: outcome.verdict };
  if (outcome.findings.length > 0 || exit.code !== EXIT_OK) process.stderr.write(`gohazard: ${summaryLine(outcome.findings, exit)}\n`);
  return exit.code;
}

/** The cache folder, created if need be; undefined (no cache, said once) when it cannot be. */
function usableCacheDir(dir: string): string | undefined {
  try {
    makeDirs(dir);
    return dir;
  } catch (err) {
    process.stderr.write(`gohazard: warning: cache: cannot create ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); running without a cache\n`);
    return undefined;
  }
}

/** A report file, its folder made if missing (as ESLint's --output-file does: CI steps name a fresh reports/ path). */
function writeOutput(file: string, text: string): void {
  try {
    makeDirs(path.dirname(path.resolve(file)));
    writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`${file}: cannot write the report: ${(err as Error).message}`);
  }
}

type FixFlags = Pick<CheckOptions, 'config' | 'enable' | 'disable' | 'tests' | 'goos' | 'goarch' | 'tags' | 'jobs' | 'cache' | 'cacheDir'> & { dryRun: boolean };

interface ExplainOptions {
  tests?: boolean;
  goos: string;
  goarch: string;
  tags: string[];
  jobs?: number;
  config?: string;
  cache: boolean;
  cacheDir?: string;
}

/** The same program `check` sees: config (tests, build tags) and the summary cache. */
async function runExplain(name: string, patterns: string[], opts: ExplainOptions): Promise<number> {
  const cwd = process.cwd();
  const config = projectConfig(patterns, cwd, opts.config);
  const cacheDir = opts.cache ? usableCacheDir(opts.cacheDir ?? defaultCacheDir()) : undefined;
  const result = await analyze({
    patterns,
    cwd,
    tests: opts.tests ?? config.tests ?? true,
    target: { goos: opts.goos, goarch: opts.goarch, tags: ['cgo', ...config.buildTags, ...opts.tags] },
    ...(opts.jobs ? { workers: opts.jobs } : {}),
    ...(cacheDir !== undefined ? { cacheDir } : {}),
    relaunch: true,
    onWarning: (message) => process.stderr.write(`gohazard: warning: ${message}\n`),
  });
  for (const d of result.diagnostics) process.stderr.write(`gohazard: ${formatDiagnostic(d)}\n`);
  try {
    process.stdout.write(explainText(result.graph, findFunc(result.graph, name), result.root, cwd));
  } catch (err) {
    if (!(err instanceof ExplainError)) throw err;
    process.stderr.write(`gohazard: ${err.message}\n`);
    return EXIT_ERROR;
  }
  return EXIT_OK;
}

/** The rules, default-off ones marked; or, given an id, that rule's documentation. */
function runRules(id: string | undefined): number {
  if (id !== undefined) {
    if (!KNOWN_RULES.has(id)) throw new UsageError(`unknown rule "${id}" (run gohazard rules for the list)`);
    process.stdout.write(ruleHelpMarkdown(id));
    return EXIT_OK;
  }
  for (const r of [...ALL_RULES.map((x) => x.meta), ...DIRECTIVE_RULES]) {
    process.stdout.write(`${r.id.padEnd(20)} ${r.severity.padEnd(8)} ${(r.optIn ? 'off' : 'on').padEnd(4)} ${r.title}\n`);
  }
  process.stdout.write('\n"off": off by default; turn on with --enable <id> or "rules": {"<id>": "on"} in the config. gohazard rules <id> prints a rule\'s documentation.\n');
  return EXIT_OK;
}

/** The version, with what else decides the results: the grammar, and the runtime. */
function runVersion(): number {
  process.stdout.write(`gohazard ${VERSION} (tree-sitter-go ${GRAMMAR_VERSION}, node ${process.version})\n`);
  return EXIT_OK;
}

/** --enable / --disable, for the commands that run the rules. */
function ruleOption(verb: 'enable' | 'disable'): Option {
  const setting = verb === 'enable' ? 'on' : 'off';
  return new Option(`--${verb} <ids>`, `turn these rules ${setting} (comma-separated; as "rules": {"<id>": "${setting}"} in the config)`)
    .argParser(parseRuleIds);
}

/** The options that choose which program is analyzed, shared by explain and fix (check words --tests its own way). */
function withProgramOptions(cmd: Command): Command {
  return cmd
    .option('--tests', 'include _test.go files (the default)')
    .option('--no-tests', 'leave out _test.go files')
    .option('--goos <os>', 'target operating system for build constraints', validated(isKnownOS, 'GOOS'), DEFAULT_TARGET.goos)
    .option('--goarch <arch>', 'target architecture for build constraints', validated(isKnownArch, 'GOARCH'), DEFAULT_TARGET.goarch)
    .addOption(new Option('--tags <tags>', 'extra build tags, comma-separated').argParser(parseTags).default([] as string[], 'none'))
    .option('-j, --jobs <n>', 'parser worker threads (default: number of cores)', parsePositiveInt);
}

export function buildCli(setExit: (code: number) => void): Command {
  const program = new Command('gohazard')
    .description('Find concurrency hazards in Go code: sends on closed channels, double closes, and more.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('check')
    .description('analyze Go packages and report hazards')
    .argument('[patterns...]', 'folders, files or Go patterns such as ./... or ./pkg/...', ['./...'])
    .addOption(
      new Option('-f, --format <format[:file]>', `output format: ${FORMATS.join(', ')}; repeat for several reports, each optionally to its own file`)
        .argParser(collectFormat)
        .default([] as OutputSpec[], 'text'),
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout (with one --format without a file)')
    .addOption(new Option('--color <when>', 'colour the text report: auto (on a terminal, unless NO_COLOR is set or FORCE_COLOR is), always or never').choices(['auto', 'always', 'never']).default('auto'))
    .addOption(new Option('--source-lines <when>', 'print the source line and a caret under each text finding: auto (on a terminal), always or never').choices(['auto', 'always', 'never']).default('auto'))
    .addOption(new Option('--path-mode <mode>', 'paths in reports relative to the repository root (git top level, else the analysis root), the working directory, or absolute (default: root; for the text report, cwd; SARIF is always relative to the git top level)').choices(PATH_MODES))
    .option('--sarif-category <id>', 'SARIF automationDetails.id: tells code scanning apart several analyses of one repository (default: gohazard/)')
    .option('--config <file>', 'config file (default: .gohazard.json or gohazard.config.json in the root or above)')
    .addOption(ruleOption('enable'))
    .addOption(ruleOption('disable'))
    .addOption(new Option('--fail-on <level>', 'exit 1 on a finding of this severity or higher (default: error, or failOn in the config)').choices(FAIL_ON))
    .option('--max-findings <n>', 'also exit 1 when more than n findings are reported, a ratchet (default: maxFindings in the config)', parseCount)
    .addOption(new Option('--min-confidence <level>', 'report only findings of this confidence or higher (default: all)').choices(['high', 'medium', 'low']))
    .option('--baseline <file>', 'report only findings not recorded in this baseline')
    .option('--write-baseline <file>', 'record the current findings as the baseline, and exit 0')
    .option('--new-from-rev <rev>', 'report only findings absent at this git revision (both trees are analyzed)')
    .option('--report-unused-ignores', 'report suppression comments (//gohazard:ignore, //nolint:gohazard ...) that suppress nothing', false)
    .option('--include-suppressed', 'list suppressed findings in SARIF, marked as suppressed', false)
    .option('--stats', 'print files, packages, lines, skipped files and per-phase and per-rule times to stderr', false)
    .option('--tests', 'include _test.go files (the default, as in go vet; overrides "tests" in the config)')
    .option('--no-tests', 'leave out _test.go files')
    .option('--goos <os>', 'target operating system for build constraints', validated(isKnownOS, 'GOOS'), DEFAULT_TARGET.goos)
    .option('--goarch <arch>', 'target architecture for build constraints', validated(isKnownArch, 'GOARCH'), DEFAULT_TARGET.goarch)
    .addOption(new Option('--tags <tags>', 'extra build tags, comma-separated').argParser(parseTags).default([] as string[], 'none'))
    .option('--include-generated', 'report findings in generated files (// Code generated ... DO NOT EDIT.)', false)
    .addOption(new Option('--max-file-size <size>', 'skip larger files with a warning').argParser(parseSize).default(DEFAULT_MAX_FILE_BYTES, '4MiB'))
    .option('-j, --jobs <n>', 'parser worker threads (default: number of cores)', parsePositiveInt)
    .option('--cache-dir <dir>', `where parsed file summaries and the results of recent runs are kept (default: ${defaultCacheDir()})`)
    .option('--no-cache', 'parse every file, neither reading nor writing the cache')
    .addOption(
      new Option('--cache-max-size <size>', 'prune the least recently used cache entries above this size')
        .argParser(parseSize)
        .default(DEFAULT_CACHE_MAX_BYTES, '1GiB'),
    )
    .option('-v, --verbose', 'also report problems that only cost speed, such as a corrupt cache entry', false)
    .option('--no-progress', 'no progress on stderr (shown on a terminal, and as one line per phase when CI is set)')
    .addHelpText('after', `${EXIT_CODES_HELP}\n\nExamples:\n  gohazard check ./...\n  gohazard check --no-tests --format json ./pkg/... > findings.json\n  gohazard check --format sarif --output gohazard.sarif ./...\n  gohazard check --new-from-rev origin/main ./...`)
    .action(async (patterns: string[], opts: CheckOptions) => setExit(await runCheck(patterns, opts)));

  const explain = program
    .command('explain')
    .description("show a function's resolved callees (and how), its callers, and its unresolved calls")
    .argument('<func>', "the function: Go's name ('example.com/m/engine.(*Writer).Close'), a unique suffix ('(*Writer).Close'), or the name findings print ('Writer.Close')")
    .argument('[patterns...]', 'packages to analyze', ['./...'])
    .option('--config <file>', 'config file (default: as for check)')
    .option('--cache-dir <dir>', 'summary cache folder (default: as for check)')
    .option('--no-cache', 'parse every file, neither reading nor writing the cache');
  withProgramOptions(explain)
    .action(async (name: string, patterns: string[], opts: ExplainOptions) => setExit(await runExplain(name, patterns, opts)));

  const fix = program
    .command('fix')
    .description('apply the fixes findings offer (a safe reorder for send-after-close), then analyze again to show what is gone')
    .argument('[patterns...]', 'folders, files or Go patterns such as ./... or ./pkg/...', ['./...'])
    .option('--dry-run', 'print the changes as a unified diff instead of writing them', false)
    .option('--config <file>', 'config file (default: .gohazard.json or gohazard.config.json in the root or above)')
    .addOption(ruleOption('enable'))
    .addOption(ruleOption('disable'))
    .option('--cache-dir <dir>', `where parsed file summaries and the results of recent runs are kept (default: ${defaultCacheDir()})`)
    .option('--no-cache', 'parse every file, neither reading nor writing the cache')
    .addHelpText('after', `\nExit codes: 0 no error-level finding remains, 1 one does, 2 usage error or a file that could not be written.\n\nExamples:\n  gohazard fix --dry-run ./...\n  gohazard fix ./pkg/...`);
  withProgramOptions(fix).action(async (patterns: string[], opts: FixFlags) => {
    const config = projectConfig(patterns, process.cwd(), opts.config, opts);
    const flags = { ...opts, maxFileSize: DEFAULT_MAX_FILE_BYTES, includeGenerated: false, cacheMaxSize: DEFAULT_CACHE_MAX_BYTES, verbose: false };
    const analyzeAt = analyzerFor(flags, config, progressReporter('off'));
    const write = (s: string) => process.stdout.write(s);
    setExit(await runFix(patterns, { config, dryRun: opts.dryRun, analyzeAt, out: write, err: (s) => process.stderr.write(s) }));
  });

  program
    .command('rules')
    .description("list the rules with their default severity and whether they are on by default; with an id, print that rule's documentation")
    .argument('[id]', 'a rule id')
    .action((id: string | undefined) => setExit(runRules(id)));

  program
    .command('version')
    .description('print the version of gohazard, of the Go grammar and of Node.js')
    .action(() => setExit(runVersion()));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildCli((c) => {
    code = c;
  });
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `gohazard: ${s}` : s) });
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `gohazard: ${s}` : s) });
  }
  try {
    await program.parseAsync(argv);
    // A signal that came while the analysis held the thread ends the run here, with its own exit code.
    await yieldToSignals();
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return EXIT_OK;
      return EXIT_ERROR;
    }
    if (err instanceof NeedsLargerHeap) {
      process.stderr.write(`gohazard: ${err.message}: running again with --max-old-space-size=${err.mb}\n`);
      return rerunWithHeap(argv, err.mb, (s) => process.stderr.write(s)) ?? EXIT_ERROR;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`gohazard: error: ${err.message}\n`);
      return EXIT_ERROR;
    }
    const e = err as Error;
    process.stderr.write(`gohazard: internal error: ${e.message}\n`);
    if (process.env.GOHAZARD_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
    else process.stderr.write('gohazard: this is a bug; rerun with GOHAZARD_DEBUG=1 for details and report it\n');
    return EXIT_ERROR;
  }
  return code;
}

