/**
 * Bad input from the user (a config file, a baseline, a git revision): the CLI prints the message as one
 * line and exits 2, never with a stack trace. Anything else that escapes is a bug.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
