import { readFileSync } from 'node:fs';

/**
 * The markdown documentation of a rule, `rules/<id>.md`, shipped next to the build output (package.json
 * `files`). Read on demand: only the SARIF formatter needs it.
 */
export function ruleHelpMarkdown(id: string): string {
  return readFileSync(new URL(`../../rules/${id}.md`, import.meta.url), 'utf8');
}

/** Plain text for consumers that do not render markdown: no emphasis markers, fences or heading marks. */
export function markdownToText(md: string): string {
  return md
    .split('\n')
    .filter((line) => !line.startsWith('```'))
    .map((line) => line.replace(/^#+\s*/, '').replace(/\*\*|`/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
