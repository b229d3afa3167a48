package dev.tessera.console.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus (Debian's {@code prometheus} package) started for a test on a configuration it
 * is given, queried over its HTTP API, and stopped with its data. Tests that need one skip, saying
 * so, where {@link #missing()} says the binaries are not installed.
 */
public final class RealPrometheus implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path work;
  private final Process process;
  private final URI url;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private RealPrometheus(Path work, Process process, URI url) {
    this.work = work;
    this.process = process;
    this.url = url;
  }

  /** What is not installed, or empty when prometheus and promtool both are. */
  public static Optional<String> missing() {
    if (onPath("prometheus").isEmpty() || onPath("promtool").isEmpty()) {
      return Optional.of("prometheus and promtool are not on the PATH: install Debian's prometheus package"
          + " (apt-get install prometheus; .ci/run does)");
    }
    return Optional.empty();
  }

  /**
   * Starts Prometheus on {@code config} (its {@code prometheus.yml}), with {@code files} written
   * beside it under their names (rule files the configuration names), and waits until it is ready.
   */
  public static RealPrometheus start(String config, List<NamedFile> files) throws IOException, InterruptedException {
    return start(config, files, work -> {});
  }

  /**
   * As the other, with {@code prepare} run on the work folder first (say, promtool backfilling
   * {@code data/}, the TSDB it then serves) and {@code flags} added to the command line.
   */
  public static RealPrometheus start(String config, List<NamedFile> files, Preparation prepare, String... flags)
      throws IOException, InterruptedException {
    Path work = Files.createTempDirectory("tessera-prometheus-");
    for (NamedFile file : files) {
      Files.writeString(work.resolve(file.name()), file.text());
    }
    prepare.prepare(work);
    Path configFile = Files.writeString(work.resolve("prometheus.yml"), config);
    int port = freePort();
    List<String> command = new ArrayList<>(List.of(onPath("prometheus").orElseThrow().toString(),
        "--config.file=" + configFile,
        "--storage.tsdb.path=" + work.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port));
    command.addAll(List.of(flags));
    Process process = new ProcessBuilder(command)
        .directory(work.toFile())
        .redirectErrorStream(true)
        .redirectOutput(work.resolve("prometheus.log").toFile())
        .start();
    RealPrometheus prometheus = new RealPrometheus(work, process, URI.create("http://127.0.0.1:" + port));
    try {
      prometheus.awaitReady();
    } catch (IOException | InterruptedException | RuntimeException e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  /** Work done in the folder before Prometheus starts on it. */
  @FunctionalInterface
  public interface Preparation {
    void prepare(Path work) throws IOException, InterruptedException;
  }

  /** A file written beside the configuration. */
  public record NamedFile(String name, String text) {}

  /** Runs {@code promtool} with {@code args} in the work folder; its exit code and output. */
  public static ToolResult promtool(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(onPath("promtool").orElseThrow().toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("promtool " + args[0] + " took over 60 s");
    }
    return new ToolResult(process.exitValue(), output);
  }

  /** What a tool said. */
  public record ToolResult(int exitCode, String output) {}

  public URI url() {
    return url;
  }

  /** An instant query's {@code data.result}: one entry per series, empty when it selects nothing. */
  public JsonNode query(String promql) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            url.resolve("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IllegalArgumentException("Prometheus refused " + promql + ": " + response.body());
    }
    return body.path("data").path("result");
  }

  /** Prometheus's own log, for a failure's message. */
  public String log() throws IOException {
    return Files.readString(work.resolve("prometheus.log"));
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.walk(work)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }

  private void awaitReady() throws IOException, InterruptedException {
    HttpRequest ready = HttpRequest.newBuilder(url.resolve("/-/ready")).timeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("prometheus exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (ConnectException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("prometheus was not ready within 60 s:\n" + log());
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static Optional<Path> onPath(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
      Path candidate = Path.of(dir, binary);
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
