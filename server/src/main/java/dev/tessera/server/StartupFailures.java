package dev.tessera.server;

import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * How a command that starts the extender ends when starting fails. Startup failures (port taken,
 * API server unreachable, informers not syncing) are thrown as {@link IllegalStateException} with a
 * message that says what to do: one line and exit 1, since a stack trace would only bury it.
 * Anything else is a bug: logged with its trace, exit 70 (EX_SOFTWARE).
 */
public final class StartupFailures implements CommandLine.IExecutionExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(StartupFailures.class);

  private final String program;

  /** @param program the command's name, which starts the one line */
  public StartupFailures(String program) {
    this.program = Objects.requireNonNull(program, "program");
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
    if (e instanceof IllegalStateException) {
      commandLine.getErr().println(program + ": " + e.getMessage());
      log.debug("startup failed", e);
      return 1;
    }
    log.error("{} stopped on an unexpected error", program, e);
    return 70; // EX_SOFTWARE
  }
}
