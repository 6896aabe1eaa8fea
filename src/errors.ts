/** An error meant for the user: the CLI prints its message without a stack trace. */
export class PonderError extends Error {
  override name = 'PonderError';
}
