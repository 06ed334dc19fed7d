/** Errors the CLI reports in one line, `parkir: message`, with an exit code (2: usage or configuration, 1: runtime). */
export class CliError extends Error {
  override readonly name = "CliError";
  /** Process exit code to use (2: bad usage or configuration, 1: a runtime failure such as refused input or I/O). */
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}
