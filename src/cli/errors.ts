/** Errors the CLI reports as usage problems: printed as `parkir: message`, exit code 2. */
export class CliError extends Error {
  override readonly name = "CliError";
  /** Process exit code to use (2: bad usage, 1: the input was bad). */
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}
