package dev.tessera.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code tessera-console.jar} as its own process, as deploy/80-console.yaml runs it: its own
 * kubeconfig (the tessera-console ServiceAccount's token), a port, and the history database. Its
 * output goes, line by line and prefixed {@code [console]}, to this JVM's standard output (so the
 * failsafe report of the test holds it) and to {@code log}.
 */
final class ConsoleProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final Thread output;
  final Path log;

  private ConsoleProcess(Process process, int port, Thread output, Path log) {
    this.process = process;
    this.port = port;
    this.output = output;
    this.log = log;
  }

  /**
   * Starts the console on a free port.
   *
   * @param databasePasswordFile the database password, as the Deployment mounts it from a Secret
   */
  static ConsoleProcess start(Path kubeconfig, String databaseUrl, String databaseUser, Path databasePasswordFile,
      Path log) {
    String jar = System.getProperty("tessera.console.jar", "../console/target/tessera-console.jar");
    if (!Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(jar + " is missing: the end-to-end tests run the packaged console (mvn verify"
          + " builds it)");
    }
    int port = freePort();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", jar, "--kubeconfig", kubeconfig.toString(), "--port", Integer.toString(port),
        "--cluster-name", "e2e", "--database-url", databaseUrl, "--database-user", databaseUser,
        "--database-password-file", databasePasswordFile.toString()));
    try {
      Files.createDirectories(log.getParent());
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      Thread output = new Thread(() -> copyOutput(process, log), "console-output-" + port);
      output.setDaemon(true);
      output.start();
      return new ConsoleProcess(process, port, output, log);
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + String.join(" ", command) + ": " + e, e);
    }
  }

  private static void copyOutput(Process process, Path log) {
    try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer file = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        System.out.println("[console] " + line);
        file.write(line);
        file.write('\n');
        file.flush();
      }
    } catch (IOException e) {
      System.out.println("[console] (its output could not be read further: " + e + ")");
    }
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Waits until {@code /readyz} answers 200: the workloads are listed. */
  ConsoleProcess awaitReady(Duration timeout) {
    Await.until("the console to be ready (log: " + log + ")", timeout, () -> {
      if (!process.isAlive()) {
        throw new AssertionError("the console exited with " + process.exitValue() + "; see " + log);
      }
      return send(HttpRequest.newBuilder(URI.create(url() + "/readyz")).timeout(Duration.ofSeconds(5)).build())
          .statusCode() == 200;
    });
    return this;
  }

  /** {@code GET path} with a bearer token; null for none. */
  HttpResponse<String> get(String path, String token) {
    return send(request(path, token).GET().build());
  }

  /** {@code POST path} with a JSON body and a bearer token. */
  HttpResponse<String> post(String path, String token, String json) {
    return send(request(path, token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  HttpResponse<String> delete(String path, String token) {
    return send(request(path, token).DELETE().build());
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(20));
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * SIGTERM, as Kubernetes stops a pod, and waits for it to exit (by force after its grace period,
   * 30 s) and for the last of its output.
   */
  @Override
  public void close() {
    // ProcessHandle's destroy only signals; Process's would also close the pipe its last words come through.
    process.toHandle().destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      output.join(Duration.ofSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
