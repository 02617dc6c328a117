import { fingerprintOf, type Finding } from '../findings.js';
import type { Directive, FileSummary } from '../ir.js';

/** What suppressions read of a file. */
type DirectiveSource = Pick<FileSummary, 'path' | 'directives'>;
import type { RuleMeta } from '../rule.js';

/**
 * In-source suppressions, applied to findings after the rules ran (rules never see them):
 *
 *   //gohazard:ignore rule-id[,rule-id] reason      on the finding's line or the line above
 *   //gohazard:file-ignore rule-id[,rule-id] reason  anywhere in the file: every finding of those rules in it
 *
 * As in staticcheck, the reason is required: a directive without one (or naming an unknown rule, or with
 * an unknown verb) suppresses nothing and is reported as `bad-ignore`. With `reportUnused`, a well-formed
 * directive that matched no finding is reported as `unused-ignore`.
 */

const BAD_IGNORE: RuleMeta = {
  id: 'bad-ignore',
  title: 'Malformed gohazard suppression comment',
  description:
    'A //gohazard:ignore or //gohazard:file-ignore comment without a reason, naming a rule that does not exist, ' +
    'or with a verb gohazard does not know. It suppresses nothing, so the finding it was meant for is still reported.',
  severity: 'warning',
  precision: 'very-high',
  tags: ['suppression'],
  since: '0.1.0',
};

const UNUSED_IGNORE: RuleMeta = {
  id: 'unused-ignore',
  title: 'Suppression comment that matches no finding',
  description:
    'A //gohazard:ignore or //gohazard:file-ignore comment that suppressed nothing in this run: the hazard was fixed, ' +
    'the code moved, or the comment names the wrong rule. Stale suppressions hide the next real finding. ' +
    'Reported only with --report-unused-ignores.',
  severity: 'warning',
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

interface Parsed {
  file: DirectiveSource;
  directive: Directive;
  scope: 'line' | 'file';
  rules: string[];
  reason: string;
  used: boolean;
}

const DIRECTIVE_RE = /^gohazard:(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/;

export function applySuppressions(
  findings: Finding[],
  files: readonly DirectiveSource[],
  opts: { knownRules: ReadonlySet<string>; reportUnused: boolean },
): SuppressionOutcome {
  const problems: Finding[] = [];
  const byFile = new Map<string, Parsed[]>();
  for (const file of files) {
    for (const directive of file.directives) {
      const parsed = parse(file, directive, opts.knownRules);
      if (typeof parsed === 'string') problems.push(directiveFinding(BAD_IGNORE, file, directive, parsed));
      else byFile.set(file.path, [...(byFile.get(file.path) ?? []), parsed]);
    }
  }

  const kept: Finding[] = [];
  const suppressed: Suppressed[] = [];
  for (const f of findings) {
    const match = byFile.get(f.location.path)?.find((d) => d.rules.includes(f.ruleId) && covers(d, f.location.line));
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
        if (!d.used) problems.push(directiveFinding(UNUSED_IGNORE, d.file, d.directive, `//${d.directive.text} matches no ${d.rules.join(' or ')} finding`));
      }
    }
  }
  return { kept: [...kept, ...problems], suppressed };
}

function covers(d: Parsed, line: number): boolean {
  return d.scope === 'file' || line === d.directive.line || line === d.directive.line + 1;
}

/** A parsed directive, or why it is malformed. */
function parse(file: DirectiveSource, directive: Directive, knownRules: ReadonlySet<string>): Parsed | string {
  const m = DIRECTIVE_RE.exec(directive.text);
  const verb = m?.[1] ?? '';
  if (verb !== 'ignore' && verb !== 'file-ignore') {
    return `unknown directive //gohazard:${verb}: expected //gohazard:ignore or //gohazard:file-ignore`;
  }
  const rules = (m?.[2] ?? '').split(',').filter(Boolean);
  if (rules.length === 0) return `//gohazard:${verb} needs a rule id and a reason`;
  const unknown = rules.filter((r) => !knownRules.has(r));
  if (unknown.length) return `//gohazard:${verb} names unknown rule ${unknown.map((r) => `"${r}"`).join(', ')}`;
  const reason = (m?.[3] ?? '').trim();
  if (!reason) return `//gohazard:${verb} ${rules.join(',')} needs a reason after the rule id; it suppresses nothing without one`;
  return { file, directive, scope: verb === 'ignore' ? 'line' : 'file', rules, reason, used: false };
}

function directiveFinding(meta: RuleMeta, file: DirectiveSource, directive: Directive, message: string): Finding {
  return {
    ruleId: meta.id,
    severity: meta.severity,
    confidence: 'high',
    message,
    // Directives are kept with their line only; the comment is what the reader looks for on it.
    location: { path: file.path, line: directive.line, col: 1 },
    related: [],
    flows: [],
    fingerprint: fingerprintOf(meta.id, [file.path, directive.text]),
  };
}
