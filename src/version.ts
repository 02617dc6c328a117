import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; homepage: string };

/** The package version, read once from package.json next to the build output. */
export const VERSION: string = pkg.version;

/** The project's web home (package.json `homepage`): SARIF links rule docs below it. */
export const HOMEPAGE: string = pkg.homepage;

/**
 * The installed Go grammar's version: summaries and results depend on it as much as on our own code,
 * and `npm update` can change it under an unchanged gohazard version. Part of every cache key.
 */
export const GRAMMAR_VERSION: string = (createRequire(import.meta.url)('tree-sitter-go/package.json') as { version: string }).version;
