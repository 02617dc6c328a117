/**
 * Progress on stderr. On a terminal: one `\r`-rewritten line with the phase, the share of files parsed
 * and the time so far, shown only once a run has taken a moment. On CI (no terminal, `CI` set): one
 * plain line per phase, since logs keep every `\r` frame. Elsewhere (a pipe, a script): nothing.
 */
export type ProgressMode = 'terminal' | 'ci' | 'off';

export function progressMode(enabled: boolean, isTTY: boolean, env: NodeJS.ProcessEnv): ProgressMode {
  if (!enabled) return 'off';
  if (isTTY) return 'terminal';
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' ? 'ci' : 'off';
}

export function progressReporter(mode: ProgressMode, write: (s: string) => void = (s) => process.stderr.write(s), now: () => number = Date.now) {
  const start = now();
  let shown = false;
  let lastPhase = '';
  const elapsed = () => `${((now() - start) / 1000).toFixed(1)}s`;
  return {
    /** `tree` labels the two analyses of --new-from-rev. */
    update(phase: string, done: number, total: number, tree?: string) {
      const name = tree ? `${tree}: ${phase}` : phase;
      if (mode === 'ci') {
        if (name === lastPhase) return;
        lastPhase = name;
        write(`gohazard: ${name}${total > 0 ? ` (${total} files)` : ''} at ${elapsed()}\n`);
        return;
      }
      if (mode !== 'terminal' || now() - start < 300) return;
      shown = true;
      const share = total === 0 ? '' : ` ${Math.floor((100 * done) / total)}% (${done}/${total} files)`;
      write(`\r\x1b[K${name}${share || '…'} ${elapsed()}`);
    },
    clear() {
      if (shown) write('\r\x1b[K');
    },
  };
}
