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
import { pathShower, sourceRoot, type PathMode } from './paths.js';
import { gitProvenance } from './vcs.js';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'checkstyle', 'junit-xml', 'code-climate'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  cwd: string;
  /**
   * What paths are relative to (see paths.ts); SARIF's are always relative to `%SRCROOT%`, the git top
   * level. Default: `root`, except the text report's, relative to the working directory as a compiler's are.
   */
  pathMode?: PathMode;
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
  const show = pathShower(opts.pathMode ?? 'root', result.root, opts.cwd);
  switch (format) {
    case 'text': {
      const mode = opts.pathMode ?? 'cwd';
      if (mode !== 'root') return { text: formatText(findings, result.root, mode === 'cwd' ? opts.cwd : undefined, opts.text), notes: [] };
      // The root as git names it, so that paths come out relative to the top level even through a symlink.
      const { srcRoot, rootInSrcRoot } = sourceRoot(result.root);
      return { text: formatText(findings, path.join(srcRoot, rootInSrcRoot), srcRoot, opts.text), notes: [] };
    }
    case 'github':
      return { text: formatGithub(findings, show), notes: [] };
    case 'checkstyle':
      return { text: formatCheckstyle(findings, show), notes: [] };
    case 'junit-xml':
      return { text: formatJunit(findings, show), notes: [] };
    case 'code-climate':
      return { text: formatCodeClimate(findings, show), notes: [] };
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

function withProvenance(root: string) {
  const provenance = gitProvenance(root);
  return provenance ? { provenance } : {};
}
