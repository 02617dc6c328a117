import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; homepage?: string };

/** The package version, read once from package.json next to the build output. */
export const VERSION: string = pkg.version;

/**
 * The project's web home, when whoever publishes the package sets package.json `homepage`: SARIF's
 * `informationUri`. Unset in the source tree: no address is known before a release, and a guessed
 * one would send users to a stranger's page.
 */
export const HOMEPAGE: string | undefined = pkg.homepage;

/**
 * Where to learn about the tool (SARIF's required-by-GitHub `informationUri`): the homepage when one is
 * set, else the README installed with this copy — a file URI, true on the machine that ran the analysis.
 */
export const INFORMATION_URI: string = HOMEPAGE ?? new URL('../../README.md', import.meta.url).href;

/**
 * The installed Go grammar's version: summaries and results depend on it as much as on our own code,
 * and `npm update` can change it under an unchanged gohazard version. Part of every cache key.
 */
export const GRAMMAR_VERSION: string = (createRequire(import.meta.url)('tree-sitter-go/package.json') as { version: string }).version;
