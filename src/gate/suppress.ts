import { fingerprintOf, type Finding, type Location } from '../findings.js';
import type { Directive, FileSummary } from '../ir.js';
import type { RuleMeta } from '../rule.js';

/** What suppressions read of a file. */
type DirectiveSource = Pick<FileSummary, 'path' | 'directives'>;

/**
 * In-source suppressions, applied to findings after the rules ran (rules never see them). Three spellings:
 *
 *   //gohazard:ignore rule-id[,rule-id] reason        on the line, or the line above
 *   //gohazard:file-ignore rule-id[,rule-id] reason   anywhere in the file: every finding of those rules in it
 *   //nolint:gohazard[/rule-id][,...] [// reason]      golangci-lint's: on the line, the line above, or on its
 *                                                      own line above a function, the whole function;
 *                                                      `//nolint` and `//nolint:all` mean every linter, as there
 *   //lint:ignore gohazard[/rule-id][,...] reason      staticcheck's, scoped as //nolint; `//lint:file-ignore`
 *
 * A finding is suppressed when a directive covers any of its locations: the primary one, a related one or
 * a step of its code flow (the cleanup call a maintainer owns, not only the send in another package).
 *
 * As in staticcheck, `//gohazard:` and `//lint:` need a reason; `//nolint` does not, as in golangci-lint.
 * A directive without a required reason, or with an unknown verb, suppresses nothing and is reported as
 * `bad-ignore`; each unknown rule name is reported on its own, and the names that are right still apply.
 * `//nolint` and `//lint:` comments that name no gohazard rule are other linters' business.
 * With `reportUnused`, a directive naming gohazard that matched no finding is reported as `unused-ignore`.
 */

const BAD_IGNORE: RuleMeta = {
  id: 'bad-ignore',
  title: 'Malformed gohazard suppression comment',
  description:
    'A //gohazard:ignore, //gohazard:file-ignore, //nolint:gohazard or //lint:ignore gohazard comment without a ' +
    'required reason, naming a rule that does not exist, or with a verb gohazard does not know. What is wrong ' +
    'suppresses nothing, so the finding it was meant for is still reported.',
  severity: 'warning',
  precision: 'very-high',
  tags: ['suppression'],
  since: '0.1.0',
};

export const UNUSED_IGNORE: RuleMeta = {
  id: 'unused-ignore',
  title: 'Suppression comment that matches no finding',
  description:
    'A //gohazard:ignore, //gohazard:file-ignore, //nolint:gohazard or //lint:ignore gohazard comment that ' +
    'suppressed nothing in this run: the hazard was fixed, the code moved, or the comment names the wrong rule. ' +
    'Stale suppressions hide the next real finding. Off by default: --report-unused-ignores, --enable unused-ignore ' +
    'or "rules": {"unused-ignore": "on"} turns it on.',
  severity: 'warning',
  optIn: true,
  precision: 'very-high',
  tags: ['suppression'],
  since: '0.1.0',
};

/** The findings the suppression machinery itself can report, with their docs in rules/<id>.md. */
export const DIRECTIVE_RULES: readonly RuleMeta[] = [BAD_IGNORE, UNUSED_IGNORE];

export interface Suppressed {
  finding: Finding;
  justification: string;
}

export interface SuppressionOutcome {
  /** Findings no directive matched, followed by bad-ignore / unused-ignore findings. */
  kept: Finding[];
  suppressed: Suppressed[];
}

/** Every rule, for `//nolint:gohazard` and the like. */
const ALL = '*';

interface Parsed {
  file: DirectiveSource;
  directive: Directive;
  /** The lines covered, inclusive; the whole file for file-ignore. */
  from: number;
  to: number;
  /** Rule ids, or ALL. */
  rules: string[];
  reason: string;
  /** Whether it is reported when unused: not for `//nolint` meant for every linter. */
  namesGohazard: boolean;
  used: boolean;
}

/** A directive read: what it suppresses (if anything), and what is wrong with it, one problem a line. */
interface Reading {
  parsed?: Omit<Parsed, 'file' | 'directive' | 'used'>;
  problems: { message: string; key: string }[];
}

export function applySuppressions(
  findings: Finding[],
  files: readonly DirectiveSource[],
  opts: { knownRules: ReadonlySet<string>; reportUnused: boolean },
): SuppressionOutcome {
  const problems: Finding[] = [];
  const byFile = new Map<string, Parsed[]>();
  for (const file of files) {
    for (const directive of file.directives) {
      const reading = read(directive, opts.knownRules);
      for (const p of reading.problems) problems.push(directiveFinding(BAD_IGNORE, file, directive, p.message, p.key));
      if (reading.parsed) byFile.set(file.path, [...(byFile.get(file.path) ?? []), { ...reading.parsed, file, directive, used: false }]);
    }
  }

  const kept: Finding[] = [];
  const suppressed: Suppressed[] = [];
  for (const f of findings) {
    const match = locationsOf(f)
      .map((loc) => byFile.get(loc.path)?.find((d) => (d.rules[0] === ALL || d.rules.includes(f.ruleId)) && loc.line >= d.from && loc.line <= d.to))
      .find((d) => d !== undefined);
    if (!match) {
      kept.push(f);
      continue;
    }
    match.used = true;
    suppressed.push({ finding: f, justification: match.reason });
  }
  if (opts.reportUnused) {
    for (const list of byFile.values()) {
      for (const d of list) {
        if (d.used || !d.namesGohazard) continue;
        const what = d.rules[0] === ALL ? 'gohazard' : d.rules.join(' or ');
        problems.push(directiveFinding(UNUSED_IGNORE, d.file, d.directive, `//${d.directive.text} matches no ${what} finding`, ''));
      }
    }
  }
  return { kept: [...kept, ...problems], suppressed };
}

/** The primary location first, then the related ones and the steps of the flows. */
function locationsOf(f: Finding): Location[] {
  return [f.location, ...f.related.map((r) => r.location), ...f.flows.flatMap((fl) => fl.steps.map((s) => s.location))];
}

const GOHAZARD_RE = /^gohazard:(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/;
const NOLINT_RE = /^nolint(?::\s*([^\s,]+(?:\s*,\s*[^\s,]+)*))?\s*(.*)$/;
const LINT_RE = /^lint:(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/;

function read(d: Directive, known: ReadonlySet<string>): Reading {
  if (d.text.startsWith('gohazard:')) return readGohazard(d, known);
  if (d.text.startsWith('nolint')) return readNolint(d, known);
  return readLint(d, known);
}

function readGohazard(d: Directive, known: ReadonlySet<string>): Reading {
  const m = GOHAZARD_RE.exec(d.text);
  const verb = m?.[1] ?? '';
  if (verb !== 'ignore' && verb !== 'file-ignore') {
    return problem(`unknown directive //gohazard:${verb}: expected //gohazard:ignore or //gohazard:file-ignore`);
  }
  const names = unique((m?.[2] ?? '').split(',').filter(Boolean));
  if (names.length === 0) return problem(`//gohazard:${verb} needs a rule id and a reason`);
  const reason = (m?.[3] ?? '').trim();
  if (!reason) return problem(`//gohazard:${verb} ${names.join(',')} needs a reason after the rule id; it suppresses nothing without one`);
  const rules = names.filter((r) => known.has(r));
  const problems = names.filter((r) => !known.has(r)).map((r) => ({ message: `//gohazard:${verb} names unknown rule "${r}"`, key: r }));
  if (rules.length === 0) return { problems };
  const [from, to] = verb === 'ignore' ? [d.line, d.line + 1] : [1, Infinity];
  return { parsed: { from, to, rules, reason, namesGohazard: true }, problems };
}

/** golangci-lint's `//nolint[:linter,...] [// explanation]`: names other than ours belong to other linters. */
function readNolint(d: Directive, known: ReadonlySet<string>): Reading {
  const m = NOLINT_RE.exec(d.text);
  const rest = (m?.[2] ?? '').trim();
  const reason = rest.startsWith('//') ? rest.slice(2).trim() : '';
  const scope = { from: d.line, to: Math.max(d.line + 1, d.until ?? 0), reason: reason || `//${d.text}` };
  const names = m?.[1]?.split(',').map((n) => n.trim());
  if (!names || names.some((n) => n.toLowerCase() === 'all')) return { parsed: { ...scope, rules: [ALL], namesGohazard: false }, problems: [] };
  const { rules, problems } = ourNames(names, known, '//nolint');
  return { ...(rules.length > 0 ? { parsed: { ...scope, rules, namesGohazard: true } } : {}), problems };
}

/** staticcheck's `//lint:ignore Check[,Check] reason` and `//lint:file-ignore`. */
function readLint(d: Directive, known: ReadonlySet<string>): Reading {
  const m = LINT_RE.exec(d.text);
  const verb = m?.[1] ?? '';
  const { rules, problems } = ourNames(unique((m?.[2] ?? '').split(',').filter(Boolean)), known, `//lint:${verb}`);
  if (rules.length === 0 && problems.length === 0) return { problems };
  if (verb !== 'ignore' && verb !== 'file-ignore') return problem(`unknown directive //lint:${verb}: expected //lint:ignore or //lint:file-ignore`);
  const reason = (m?.[3] ?? '').trim();
  if (!reason) return problem(`//lint:${verb} ${m?.[2] ?? ''} needs a reason after the check names; it suppresses nothing without one`);
  if (rules.length === 0) return { problems };
  const [from, to] = verb === 'ignore' ? [d.line, Math.max(d.line + 1, d.until ?? 0)] : [1, Infinity];
  return { parsed: { from, to, rules, reason, namesGohazard: true }, problems };
}

/**
 * The gohazard rules among another tool's linter names: `gohazard` (every rule) or `gohazard/<rule-id>`.
 * A gohazard name that is not right (an unknown rule, a bare rule id) is a problem; other names are ignored.
 */
function ourNames(names: string[], known: ReadonlySet<string>, directive: string): { rules: string[]; problems: Reading['problems'] } {
  const rules: string[] = [];
  const problems: Reading['problems'] = [];
  for (const name of unique(names)) {
    const rule = /^gohazard(?:[/:.](.*))?$/i.exec(name);
    if (rule && rule[1] === undefined) rules.push(ALL);
    else if (rule && name.startsWith('gohazard/') && known.has(rule[1] ?? '')) rules.push(rule[1] ?? '');
    else if (rule) problems.push({ message: `${directive} names unknown rule "${name}": write gohazard or gohazard/<rule-id>`, key: name });
    else if (known.has(name)) problems.push({ message: `${directive} names "${name}": gohazard reads it only as gohazard/${name}`, key: name });
  }
  return { rules: rules.includes(ALL) ? [ALL] : rules, problems };
}

function problem(message: string): Reading {
  return { problems: [{ message, key: '' }] };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

function directiveFinding(meta: RuleMeta, file: DirectiveSource, directive: Directive, message: string, key: string): Finding {
  return {
    ruleId: meta.id,
    severity: meta.severity,
    confidence: 'high',
    message,
    // Directives are kept with their line only; the comment is what the reader looks for on it.
    location: { path: file.path, line: directive.line, col: 1 },
    related: [],
    flows: [],
    fingerprint: fingerprintOf(meta.id, [file.path, directive.text, ...(key ? [key] : [])]),
  };
}
