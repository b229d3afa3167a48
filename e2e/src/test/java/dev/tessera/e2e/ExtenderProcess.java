package dev.tessera.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code tessera-extender.jar} as its own process, as it runs in its pod; killed with SIGKILL when a test says so. */
final class ExtenderProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  final Path log;

  private ExtenderProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  static ExtenderProcess start(Path kubeconfig, int port, Path log, String... extraArgs) {
    String jar = System.getProperty("tessera.extender.jar", "../server/target/tessera-extender.jar");
    if (!java.nio.file.Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(jar + " is missing: the end-to-end tests run the packaged extender (mvn verify builds it)");
    }
    List<String> command = new ArrayList<>(
        List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
    // Extra JVM options for a profiling run: -Dtessera.extender.jvmArgs=-XX:StartFlightRecording=...
    String jvmArgs = System.getProperty("tessera.extender.jvmArgs", "").trim();
    if (!jvmArgs.isEmpty()) {
      command.addAll(List.of(jvmArgs.split("\\s+")));
    }
    command.addAll(List.of("-jar", jar, "--kubeconfig", kubeconfig.toString(), "--port", Integer.toString(port),
        "--report-port", "0", "--admission-port", "0"));
    command.addAll(List.of(extraArgs));
    return new ExtenderProcess(Exec.background(command, Map.of(), log), port, log);
  }

  /** What the process has logged so far. */
  String logText() {
    try {
      return java.nio.file.Files.readString(log);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Waits until {@code /readyz} answers 200. */
  ExtenderProcess awaitReady(Duration timeout) {
    Await.until("the extender to be ready (log: " + log + ")", timeout, () -> {
      if (!process.isAlive()) {
        throw new AssertionError("the extender exited with " + process.exitValue() + "; see " + log);
      }
      return status("/readyz") == 200;
    });
    return this;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL, as an OOM kill or a node failure would: no shutdown hook runs. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  int status(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  HttpResponse<String> post(String path, String body) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(20))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  String metrics() {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new IllegalStateException("GET /metrics failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The value of an unlabelled series on {@code /metrics}, e.g. {@code tessera_gpus_allocated}. */
  double metric(String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{\\})? ([0-9.eE+-]+|NaN)$").matcher(metrics());
    if (!m.find()) {
      throw new AssertionError(name + " is not on /metrics");
    }
    return Double.parseDouble(m.group(2));
  }

  /** Mean time of the extender's successful answers to one verb so far, from its request timer. */
  double meanMillis(String verb) {
    String text = metrics();
    String labels = "\\{(?=[^}]*outcome=\"ok\")(?=[^}]*verb=\"" + verb + "\")[^}]*}";
    Matcher sum = Pattern.compile("(?m)^tessera_extender_requests_seconds_sum" + labels + " ([0-9.eE+-]+)$").matcher(text);
    Matcher count = Pattern.compile("(?m)^tessera_extender_requests_seconds_count" + labels + " ([0-9.eE+-]+)$").matcher(text);
    if (!sum.find() || !count.find()) {
      throw new AssertionError("no request timer for " + verb + " on /metrics");
    }
    return 1000 * Double.parseDouble(sum.group(1)) / Math.max(1, Double.parseDouble(count.group(1)));
  }

  /**
   * The {@code q} quantile (0..1) of the extender's successful answers to one verb so far, in ms,
   * read off its request timer's histogram buckets (the upper bound of the bucket it falls in).
   */
  double quantileMillis(String verb, double q) {
    Matcher m = Pattern.compile("(?m)^tessera_extender_requests_seconds_bucket\\{(?=[^}]*outcome=\"ok\")"
        + "(?=[^}]*verb=\"" + verb + "\")(?=[^}]*le=\"([^\"]+)\")[^}]*} ([0-9.eE+-]+)$").matcher(metrics());
    java.util.TreeMap<Double, Double> cumulative = new java.util.TreeMap<>();
    while (m.find()) {
      cumulative.put(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)),
          Double.parseDouble(m.group(2)));
    }
    double total = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    for (var bucket : cumulative.entrySet()) {
      if (bucket.getValue() >= q * total) {
        return bucket.getKey() * 1000;
      }
    }
    return Double.NaN;
  }

  @Override
  public void close() {
    Exec.stop(process, Duration.ofSeconds(10));
  }
}
