import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { analyze, DEFAULT_MAX_FILE_BYTES, type AnalysisResult } from './analyze.js';
import { DEFAULT_CACHE_MAX_BYTES } from './cache/prune.js';
import { defaultCacheDir } from './cache/store.js';
import { formatDiagnostic } from './diagnostics.js';
import { DEFAULT_TARGET, isKnownArch, isKnownOS } from './load/buildtags.js';
import { formatJson } from './report/json.js';
import { displayPath, formatText } from './report/text.js';
import { ALL_RULES } from './rules.js';
import { VERSION } from './version.js';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

const EXIT_CODES_HELP = `
Exit codes:
  0  no findings
  1  findings reported
  2  usage error, or a path that could not be analyzed (findings for the rest are still printed)`;

interface CheckOptions {
  format: 'text' | 'json';
  stats: boolean;
  tests: boolean;
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

function parseTags(value: string): string[] {
  return value.split(/[,\s]+/).filter(Boolean);
}

function validated(check: (s: string) => boolean, what: string) {
  return (value: string) => {
    if (!check(value)) throw new InvalidArgumentError(`unknown ${what} "${value}"`);
    return value;
  };
}

/** A `\r`-rewritten status line on a terminal, shown only once a run has taken a moment. */
function progressReporter(enabled: boolean) {
  const start = Date.now();
  let shown = false;
  return {
    update(phase: string, done: number, total: number) {
      if (!enabled || Date.now() - start < 300) return;
      shown = true;
      process.stderr.write(`\r\x1b[K${phase}: ${done}/${total} files`);
    },
    clear() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

function printStats(result: AnalysisResult): void {
  const s = result.stats;
  const t = s.timings;
  const mb = (s.bytes / 1e6).toFixed(1);
  const lines = [
    `files: ${s.files} analyzed (${mb} MB, ${s.lines} lines, ${s.cached} from cache), ${s.skipped} skipped, ${s.excluded} excluded by build rules`,
    `packages: ${s.packages}`,
    `syntax errors: ${s.syntaxErrors} files`,
    `findings: ${result.findings.length}`,
    `time: load ${ms(t.load)}, parse+summarize ${ms(t.parse)} (${s.workers} workers), rules ${ms(t.rules)}, total ${ms(t.total)}`,
    `peak memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  ];
  process.stderr.write(lines.map((l) => `gohazard: ${l}\n`).join(''));
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${n.toFixed(0)}ms`;
}

async function runCheck(patterns: string[], opts: CheckOptions): Promise<number> {
  const cwd = process.cwd();
  const progress = progressReporter(opts.progress && process.stderr.isTTY === true);
  const result = await analyze({
    patterns,
    cwd,
    tests: opts.tests,
    target: { goos: opts.goos, goarch: opts.goarch, tags: ['cgo', ...opts.tags] },
    maxFileBytes: opts.maxFileSize,
    includeGenerated: opts.includeGenerated,
    ...(opts.jobs ? { workers: opts.jobs } : {}),
    ...(opts.cache ? { cacheDir: opts.cacheDir ?? defaultCacheDir(), cacheMaxBytes: opts.cacheMaxSize } : {}),
    verbose: opts.verbose,
    onProgress: (phase, done, total) => progress.update(phase, done, total),
  });
  progress.clear();
  for (const d of result.diagnostics) process.stderr.write(`gohazard: ${formatDiagnostic(d)}\n`);
  if (opts.format === 'json') process.stdout.write(formatJson(result, opts.stats));
  else process.stdout.write(formatText(result.findings, result.root, cwd));
  if (opts.stats) printStats(result);
  if (result.diagnostics.some((d) => d.severity === 'error')) return EXIT_ERROR;
  return result.findings.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}

function runRulesList(): number {
  for (const r of ALL_RULES) process.stdout.write(`${r.meta.id.padEnd(20)} ${r.meta.severity.padEnd(8)} ${r.meta.title}\n`);
  return EXIT_OK;
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
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--stats', 'print files, packages, lines, skipped files and per-phase times to stderr', false)
    .option('--tests', 'include _test.go files', false)
    .option('--goos <os>', 'target operating system for build constraints', validated(isKnownOS, 'GOOS'), DEFAULT_TARGET.goos)
    .option('--goarch <arch>', 'target architecture for build constraints', validated(isKnownArch, 'GOARCH'), DEFAULT_TARGET.goarch)
    .option('--tags <tags>', 'extra build tags, comma-separated', parseTags, [] as string[])
    .option('--include-generated', 'report findings in generated files (// Code generated ... DO NOT EDIT.)', false)
    .option('--max-file-size <size>', 'skip larger files with a warning', parseSize, DEFAULT_MAX_FILE_BYTES)
    .option('-j, --jobs <n>', 'parser worker threads (default: number of cores)', parsePositiveInt)
    .option('--cache-dir <dir>', `where parsed file summaries are kept between runs (default: ${defaultCacheDir()})`)
    .option('--no-cache', 'parse every file, neither reading nor writing the cache')
    .addOption(
      new Option('--cache-max-size <size>', 'prune the least recently used cache entries above this size')
        .argParser(parseSize)
        .default(DEFAULT_CACHE_MAX_BYTES, '1GiB'),
    )
    .option('-v, --verbose', 'also report problems that only cost speed, such as a corrupt cache entry', false)
    .option('--no-progress', 'never show the progress line (it only appears on a terminal)')
    .addHelpText('after', `${EXIT_CODES_HELP}\n\nExamples:\n  gohazard check ./...\n  gohazard check --tests --format json ./pkg/... > findings.json`)
    .action(async (patterns: string[], opts: CheckOptions) => setExit(await runCheck(patterns, opts)));

  program
    .command('rules')
    .description('list the rules with their default severity')
    .action(() => setExit(runRulesList()));

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
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return EXIT_OK;
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

export { displayPath };
