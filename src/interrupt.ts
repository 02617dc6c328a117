/**
 * SIGINT and SIGTERM while the run has something to undo (the temporary tree of `--new-from-rev`): Node
 * would die at once, skipping `finally`, and leave it behind. The handlers, once installed, stay for
 * the rest of the process: a signal that arrives while the analysis holds the thread is delivered when
 * it yields, and a handler removed before that would lose it (the run then finished as if never
 * interrupted). Exit codes are the shell's: 128 + the signal's number.
 */
const cleanups = new Set<() => void>();
let installed = false;

/** Runs `cleanup` if the process is interrupted before the returned function is called. */
export function onInterrupt(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', interrupted).on('SIGTERM', interrupted);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function interrupted(signal: NodeJS.Signals): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the exit code must still say the run was interrupted.
    }
  }
  // Dying by the signal itself (its default action) rather than process.exit: an exit while parser threads
  // are inside native code can abort the process (SIGABRT). The shell sees 128 + the signal's number either way.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/**
 * Gives the event loop one turn, so that a signal that arrived during synchronous work is handled now,
 * before the run goes on (or reports as if it had not been interrupted).
 */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
