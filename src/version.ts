import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; homepage: string };

/** The package version, read once from package.json next to the build output. */
export const VERSION: string = pkg.version;

/** The project's web home (package.json `homepage`): SARIF links rule docs below it. */
export const HOMEPAGE: string = pkg.homepage;
