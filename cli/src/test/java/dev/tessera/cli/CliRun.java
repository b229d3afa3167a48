package dev.tessera.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine;

/** Runs the command tree in-process as {@code main} would, capturing what it prints. */
final class CliRun {
  record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private CliRun() {}

  /** With an empty environment: a $TESSERA_CONSOLE where the tests run changes nothing. */
  static Result run(Clock clock, String... args) {
    return run(clock, Map.of(), args);
  }

  static Result run(Clock clock, Map<String, String> environment, String... args) {
    return run(Tessera.commandLine(clock, ConnectCommand.UNTIL_INTERRUPTED, environment), args);
  }

  /** {@code tessera connect ...} whose forward is handed to {@code hold} instead of waiting for Ctrl-C. */
  static Result connect(String url, ConnectCommand.Hold hold, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "connect";
    all[1] = "--server=" + url;
    System.arraycopy(args, 0, all, 2, args.length);
    return run(Tessera.commandLine(Clock.systemUTC(), hold, Map.of()), all);
  }

  private static Result run(CommandLine commandLine, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  /** {@code tessera COMMAND --server=URL ARGS...}: the command's first word, then the server. */
  static Result against(String url, Clock clock, String... args) {
    return against(url, clock, Map.of(), args);
  }

  static Result against(String url, Clock clock, Map<String, String> environment, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = args[0];
    all[1] = "--server=" + url;
    System.arraycopy(args, 1, all, 2, args.length - 1);
    return run(clock, environment, all);
  }

  static Result run(String... args) {
    return run(Clock.systemUTC(), args);
  }
}
