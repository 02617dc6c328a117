import { realpathSync } from 'node:fs';
import path from 'node:path';
import { severityOverride, type Config } from '../config.js';
import type { Diagnostic } from '../diagnostics.js';
import type { GateOutcome } from '../gate/gate.js';
import type { RuleMeta } from '../rule.js';
import { ruleHelpMarkdown } from '../rulehelp.js';
import { utf16Columns } from './columns.js';
import { formatCodeClimate } from './codeclimate.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatSarif } from './sarif.js';
import { formatText, type TextStyle } from './text.js';
import { formatCheckstyle, formatJunit } from './xml.js';
import { gitProvenance, gitTopLevel } from './vcs.js';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'checkstyle', 'junit-xml', 'code-climate'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  cwd: string;
  /** The rules of this run (disabled ones left out), including the suppression checks. */
  rules: readonly RuleMeta[];
  config: Config;
  includeSuppressed: boolean;
  stats: boolean;
  /** With --baseline or --new-from-rev: what is reported is what is new. */
  newFindingsOnly?: boolean;
  /** `--sarif-category`: GitHub's category of the analysis, for several analyses of one repository. */
  sarifCategory?: string;
  /** The text report's looks: a terminal's width (long lines wrap), colour, source lines. */
  text?: TextStyle;
}

/** The report in one format, plus notes for stderr (what SARIF had to leave out to stay within GitHub's limits). */
export function render(format: Format, outcome: GateOutcome, opts: RenderOptions): { text: string; notes: string[] } {
  const { result, findings } = outcome;
  switch (format) {
    case 'text':
      return { text: formatText(findings, result.root, opts.cwd, opts.text), notes: [] };
    case 'github':
      return { text: formatGithub(findings, result.root, opts.cwd), notes: [] };
    case 'checkstyle':
      return { text: formatCheckstyle(findings, result.root, opts.cwd), notes: [] };
    case 'junit-xml':
      return { text: formatJunit(findings, result.root, opts.cwd), notes: [] };
    case 'code-climate': {
      const { rootInSrcRoot } = sourceRoot(result.root);
      return { text: formatCodeClimate(findings, (rel) => (rootInSrcRoot ? `${rootInSrcRoot}/${rel}` : rel)), notes: [] };
    }
    case 'json':
      return { text: formatJson({ ...result, findings }, opts.stats), notes: [] };
    case 'sarif': {
      const sarif = formatSarif({
        rules: opts.rules.map((meta) => ({ meta, helpMarkdown: ruleHelpMarkdown(meta.id), level: severityOverride(opts.config, meta.id) ?? meta.severity })),
        results: [...findings.map((finding) => ({ finding })), ...(opts.includeSuppressed ? outcome.suppressed.map(({ finding, justification }) => ({ finding, suppression: { justification } })) : [])],
        root: result.root,
        ...sourceRoot(result.root),
        ...(opts.newFindingsOnly ? { baselineState: 'new' as const } : {}),
        ...withProvenance(result.root),
        // GitHub takes the category from the id up to its last slash.
        automationId: opts.sarifCategory === undefined ? 'gohazard/' : opts.sarifCategory.replace(/\/?$/, '/'),
        notices: [
          ...result.diagnostics.map((d) => ({ level: d.severity, text: diagnosticText(d) })),
          ...outcome.notes.map((text) => ({ level: 'note' as const, text })),
        ],
        utf16Column: utf16Columns(result.root),
      });
      return { text: sarif.text, notes: sarif.truncations };
    }
  }
}

/** `path:line:col: message`: the notification's level already says error or warning. */
function diagnosticText(d: Diagnostic): string {
  const where = d.path === undefined ? '' : `${d.path}${d.line === undefined ? '' : `:${d.line}:${d.col ?? 1}`}: `;
  return `${where}${d.message}`;
}

/**
 * `%SRCROOT%` and the root's place in it: the git top level when the root is inside a checkout (git
 * prints it with symlinks resolved, so the root is too before comparing), else the root itself.
 */
function sourceRoot(root: string): { srcRoot: string; rootInSrcRoot: string } {
  const top = gitTopLevel(root);
  let rel: string | undefined;
  try {
    rel = top === undefined ? undefined : path.relative(realpathSync(top), realpathSync(root));
  } catch {
    rel = undefined;
  }
  if (top === undefined || rel === undefined || rel.startsWith('..') || path.isAbsolute(rel)) return { srcRoot: root, rootInSrcRoot: '' };
  return { srcRoot: top, rootInSrcRoot: rel.split(path.sep).join('/') };
}

function withProvenance(root: string) {
  const provenance = gitProvenance(root);
  return provenance ? { provenance } : {};
}
