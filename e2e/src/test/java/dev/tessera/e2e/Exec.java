package dev.tessera.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the control plane's scripts and the processes under test, with their output in files. */
final class Exec {
  private Exec() {}

  /**
   * Runs a command to completion and returns its standard output, trimmed.
   *
   * @throws IllegalStateException if it fails or outlives the timeout, with its error output
   */
  static String run(List<String> command, Map<String, String> env, Duration timeout) {
    try {
      Path err = Files.createTempFile("tessera-e2e", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(err.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      process.getOutputStream().close();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout);
      }
      String errors = Files.readString(err);
      Files.deleteIfExists(err);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited with " + process.exitValue() + ": " + errors);
      }
      return new String(out, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
    }
  }

  /** Starts a command in the background, its standard output and error appended to {@code log}. */
  static Process background(List<String> command, Map<String, String> env, Path log) {
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(env);
      Process process = builder.start();
      process.getOutputStream().close();
      return process;
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + String.join(" ", command) + ": " + e, e);
    }
  }

  /** Stops a process politely (SIGTERM), then by force after {@code grace}. */
  static void stop(Process process, Duration grace) {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
