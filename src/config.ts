import { existsSync } from 'node:fs';
import path from 'node:path';
import { createScanner, parse, ParseErrorCode, SyntaxKind, type ParseError } from 'jsonc-parser';
import type { Confidence, Severity } from './findings.js';
import { readErrorReason, readRegularFile } from './readfile.js';
import { UsageError } from './usage-error.js';

/**
 * The project's settings, from `.gohazard.json` (or `gohazard.config.json`) in the analysis root or the
 * nearest folder above it, or from `--config FILE`. JSON with comments and trailing commas (JSONC), as
 * editors' settings files; docs/gohazard.schema.json describes it for editors (`"$schema"`). Every key is
 * optional; unknown keys are errors, so a typo never silently turns a setting off.
 *
 *   {
 *     "rules": { "double-close": "warning", "send-after-close": "off" },   // off | on | error | warning | note
 *     // or an object: the same level, and paths where this rule's findings are not reported
 *     //   "goroutine-leak": { "level": "warning", "exclude": ["*_test.go"] }
 *     "cleanupFunctions": ["^(Teardown|Release)$"],   // extra cleanup-function name patterns (regexps)
 *     "exclude": ["internal/gen/**", "*_mock.go"],      // findings in these paths are not reported
 *     "tests": true,                                    // as --tests
 *     "buildTags": ["integration"],                     // added to --tags
 *     "testCodeSeverity": "error",                      // findings in test code up to this level (default warning)
 *     "failOn": "warning",                              // as --fail-on (the flag wins)
 *     "maxFindings": 20                                 // as --max-findings (the flag wins)
 *   }
 *
 * `--enable a,b` and `--disable c` on the command line are `"a": "on"`, `"b": "on"` and `"c": "off"` in
 * `rules`, applied over the file's (src/cli.ts).
 */
const CONFIG_FILE_NAMES = ['.gohazard.json', 'gohazard.config.json'] as const;

export type RuleSetting = 'off' | 'on' | Severity;

export interface Config {
  /** The file it came from; absent when no file was found. */
  file?: string;
  rules: ReadonlyMap<string, RuleSetting>;
  cleanupFunctions: RegExp[];
  exclude: string[];
  tests?: boolean;
  buildTags: string[];
  /** Findings below this confidence are not reported (`--min-confidence` wins). */
  minConfidence?: Confidence;
  /** Per rule: paths (globs, as `exclude`) where its findings are not reported. */
  ruleExcludes: ReadonlyMap<string, string[]>;
  /** The highest severity of a finding in test code (RuleSettings.testCodeSeverity). */
  testCodeSeverity?: Severity;
  /** As --fail-on and --max-findings, which win. */
  failOn?: Severity | 'none';
  maxFindings?: number;
}

export const EMPTY_CONFIG: Config = { rules: new Map(), cleanupFunctions: [], exclude: [], buildTags: [], ruleExcludes: new Map() };

export const CONFIG_KEYS = ['$schema', 'rules', 'cleanupFunctions', 'exclude', 'tests', 'buildTags', 'minConfidence', 'testCodeSeverity', 'failOn', 'maxFindings'];
const SETTINGS: readonly RuleSetting[] = ['off', 'on', 'error', 'warning', 'note'];
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note'];
export const FAIL_ON: readonly string[] = [...SEVERITIES, 'none'];

/** The nearest config file at or above `dir`, if any. */
export function findConfig(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    for (const name of CONFIG_FILE_NAMES) {
      const f = path.join(d, name);
      if (existsSync(f)) return f;
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** A config is a few lines; anything near this is not one (and is not read into memory whole). */
const MAX_CONFIG_BYTES = 1 << 20;
/** The schema nests three levels; jsonc-parser recurses per level, so a deeper document is refused first. */
const MAX_CONFIG_NESTING = 32;

export function loadConfig(file: string, knownRules: ReadonlySet<string>, shownAs: string = file): Config {
  let text: string;
  try {
    text = readRegularFile(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (err) {
    throw new UsageError(`${shownAs}: cannot read the config: ${readErrorReason(err)}`);
  }
  return { ...parseConfig(text, knownRules, shownAs), file };
}

/** The offset where brackets first nest deeper than `max`, found with the tokenizer alone (no recursion). */
function tooDeepAt(text: string, max: number): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let t = scanner.scan(); t !== SyntaxKind.EOF; t = scanner.scan()) {
    if (t === SyntaxKind.OpenBraceToken || t === SyntaxKind.OpenBracketToken) {
      if (++depth > max) return scanner.getTokenOffset();
    } else if (t === SyntaxKind.CloseBraceToken || t === SyntaxKind.CloseBracketToken) depth--;
  }
  return undefined;
}

function parseConfig(text: string, knownRules: ReadonlySet<string>, shownAs: string): Config {
  const fail = (msg: string): never => {
    throw new UsageError(`${shownAs}: ${msg}`);
  };
  const deep = tooDeepAt(text, MAX_CONFIG_NESTING);
  if (deep !== undefined) {
    const { line, col } = lineCol(text, deep);
    throw new UsageError(`${shownAs}:${line}:${col}: nested more than ${MAX_CONFIG_NESTING} levels deep; a config has at most three`);
  }
  const errors: ParseError[] = [];
  const doc: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, col } = lineCol(text, first.offset);
    throw new UsageError(`${shownAs}:${line}:${col}: not valid JSON: ${SYNTAX_ERRORS[first.error] ?? 'syntax error'}`);
  }
  if (!isObject(doc)) return fail('expected a JSON object');
  for (const key of Object.keys(doc)) {
    if (!CONFIG_KEYS.includes(key)) fail(`unknown key "${key}" (known keys: ${CONFIG_KEYS.filter((k) => k !== '$schema').join(', ')})`);
  }

  const rules = new Map<string, RuleSetting>();
  const ruleExcludes = new Map<string, string[]>();
  if (doc.rules !== undefined) {
    if (!isObject(doc.rules)) fail('"rules" must be an object of rule id to off, on, error, warning or note');
    for (const [id, value] of Object.entries(doc.rules as Record<string, unknown>)) {
      if (!knownRules.has(id)) fail(`rules: unknown rule "${id}" (run gohazard rules for the list)`);
      const entry = isObject(value) ? value : { level: value };
      for (const key of Object.keys(entry)) if (key !== 'level' && key !== 'exclude') fail(`rules.${id}: unknown key "${key}" (known keys: level, exclude)`);
      const level = entry.level ?? 'on';
      if (!SETTINGS.includes(level as RuleSetting)) fail(`rules.${id}: expected one of ${SETTINGS.join(', ')}, got ${JSON.stringify(level)}`);
      rules.set(id, level as RuleSetting);
      const exclude = strings(entry, 'exclude', (msg) => fail(`rules.${id}: ${msg}`));
      if (exclude.length > 0) ruleExcludes.set(id, exclude);
    }
  }
  const cleanupFunctions = strings(doc, 'cleanupFunctions', fail).map((p) => {
    try {
      return new RegExp(p);
    } catch (err) {
      return fail(`cleanupFunctions: ${JSON.stringify(p)} is not a valid regular expression (${(err as Error).message})`);
    }
  });
  if (doc.tests !== undefined && typeof doc.tests !== 'boolean') fail('"tests" must be true or false');
  if (doc.minConfidence !== undefined && !['high', 'medium', 'low'].includes(doc.minConfidence as string)) {
    fail(`minConfidence: expected high, medium or low, got ${JSON.stringify(doc.minConfidence)}`);
  }
  if (doc.testCodeSeverity !== undefined && !SEVERITIES.includes(doc.testCodeSeverity as Severity)) {
    fail(`testCodeSeverity: expected ${SEVERITIES.join(', ')}, got ${JSON.stringify(doc.testCodeSeverity)}`);
  }
  if (doc.failOn !== undefined && !FAIL_ON.includes(doc.failOn as string)) fail(`failOn: expected ${FAIL_ON.join(', ')}, got ${JSON.stringify(doc.failOn)}`);
  if (doc.maxFindings !== undefined && !(Number.isInteger(doc.maxFindings) && (doc.maxFindings as number) >= 0)) {
    fail(`maxFindings: expected a whole number, 0 or more, got ${JSON.stringify(doc.maxFindings)}`);
  }
  return {
    rules,
    cleanupFunctions,
    exclude: strings(doc, 'exclude', fail),
    ...(doc.tests !== undefined ? { tests: doc.tests as boolean } : {}),
    ...(doc.minConfidence !== undefined ? { minConfidence: doc.minConfidence as Confidence } : {}),
    buildTags: strings(doc, 'buildTags', fail),
    ruleExcludes,
    ...(doc.testCodeSeverity !== undefined ? { testCodeSeverity: doc.testCodeSeverity as Severity } : {}),
    ...(doc.failOn !== undefined ? { failOn: doc.failOn as Severity | 'none' } : {}),
    ...(doc.maxFindings !== undefined ? { maxFindings: doc.maxFindings as number } : {}),
  };
}

/** jsonc-parser's error codes, in words. */
const SYNTAX_ERRORS: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'malformed number',
  [ParseErrorCode.PropertyNameExpected]: 'expected a key in double quotes',
  [ParseErrorCode.ValueExpected]: 'expected a value',
  [ParseErrorCode.ColonExpected]: 'expected ":" after a key',
  [ParseErrorCode.CommaExpected]: 'expected a comma',
  [ParseErrorCode.CloseBraceExpected]: 'expected "}"',
  [ParseErrorCode.CloseBracketExpected]: 'expected "]"',
  [ParseErrorCode.EndOfFileExpected]: 'unexpected text after the end',
  [ParseErrorCode.InvalidCommentToken]: 'malformed comment',
  [ParseErrorCode.UnexpectedEndOfComment]: 'unterminated comment',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'unterminated number',
  [ParseErrorCode.InvalidUnicode]: 'malformed \\u escape',
  [ParseErrorCode.InvalidEscapeCharacter]: 'unknown escape sequence',
  [ParseErrorCode.InvalidCharacter]: 'control character in a string',
};

/** 1-based line and column (in UTF-16 units, as editors count) of an offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: offset - lineStart + 1 };
}

function strings(doc: Record<string, unknown>, key: string, fail: (msg: string) => never): string[] {
  const v = doc[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(`"${key}" must be a list of non-empty strings`);
  return v as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The severity the config sets for a rule, if it overrides the default (`on` and `off` do not). */
export function severityOverride(config: Config, ruleId: string): Severity | undefined {
  const setting = config.rules.get(ruleId);
  return setting === 'on' || setting === 'off' ? undefined : setting;
}
