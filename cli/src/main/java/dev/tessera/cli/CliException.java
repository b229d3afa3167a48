package dev.tessera.cli;

/**
 * A failure the user can act on, with the exit code it ends the command with: 2 for a bad argument
 * (the message names the flag), 1 for everything else (not found, a failed workload). Thrown from
 * deep inside a command so the message, not a stack trace, reaches the terminal.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** picocli's exit code for invalid input. */
  static final int USAGE = 2;
  static final int FAILED = 1;

  private final int exitCode;

  private CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** A flag or parameter with a value that cannot be used; the message names it. */
  static CliException usage(String message) {
    return new CliException(USAGE, message);
  }

  /** The command ran but could not do what was asked. */
  static CliException failed(String message) {
    return new CliException(FAILED, message);
  }

  int exitCode() {
    return exitCode;
  }
}
