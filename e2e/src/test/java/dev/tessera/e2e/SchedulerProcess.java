package dev.tessera.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A kube-scheduler of the control plane, for its metrics: the one {@link Installation} runs with
 * the tessera-scheduler profile, or a plain default scheduler the benchmark starts beside it.
 */
final class SchedulerProcess implements AutoCloseable {
  private static final Pattern ATTEMPT =
      Pattern.compile("(?m)^scheduler_scheduling_algorithm_duration_seconds_(sum|count)(?:\\{[^}]*})? ([0-9.eE+-]+)$");

  /** The benchmark reads kube-scheduler's metrics on loopback without a SubjectAccessReview. */
  static final String METRICS_OPEN = "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics";

  private final Process process;
  private final int port;
  private final String token;

  private SchedulerProcess(Process process, int port, String token) {
    this.process = process;
    this.port = port;
    this.token = token;
  }

  /** The tessera-scheduler {@link Installation} started, on {@code PORT_BASE + 259}. */
  static SchedulerProcess tessera(ControlPlane plane) {
    return new SchedulerProcess(null, plane.portBase + 259, plane.adminToken());
  }

  /**
   * A stock kube-scheduler with only the default profile ({@code default-scheduler}), no extender,
   * on {@code PORT_BASE + 260}, as its own ServiceAccount's peer: it uses tessera-scheduler's
   * credentials, which hold the same built-in kube-scheduler role.
   */
  static SchedulerProcess startDefault(ControlPlane plane) {
    Path config = plane.work.resolve("default-scheduler-config.yaml");
    StringBuilder yaml = new StringBuilder()
        .append("apiVersion: kubescheduler.config.k8s.io/v1\n")
        .append("kind: KubeSchedulerConfiguration\n")
        .append("leaderElection: {leaderElect: false}\n")
        .append("clientConnection:\n")
        .append("  kubeconfig: ").append(plane.kubeconfigFor("tessera-scheduler")).append('\n');
    String qps = System.getProperty("tessera.e2e.schedulerQps");
    if (qps != null) {
      yaml.append("  qps: ").append(qps).append("\n  burst: ").append(2 * Integer.parseInt(qps)).append('\n');
    }
    try {
      Files.writeString(config, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int port = plane.portBase + 260;
    Process process = Exec.background(List.of(plane.assets().resolve("kube-scheduler").toString(),
        "--config=" + config, "--secure-port=" + port, "--bind-address=127.0.0.1", METRICS_OPEN), Map.of(),
        plane.work.resolve("logs/default-scheduler.log"));
    SchedulerProcess scheduler = new SchedulerProcess(process, port, plane.adminToken());
    Runtime.getRuntime().addShutdownHook(new Thread(scheduler::close, "default-scheduler-stop"));
    try {
      Await.until("the default scheduler to serve its metrics (log: logs/default-scheduler.log)",
          Duration.ofSeconds(60), () -> process.isAlive() && scheduler.metrics() != null);
    } catch (AssertionError e) {
      scheduler.close();
      throw e;
    }
    return scheduler;
  }

  /**
   * {@code [sum of seconds, count]} of kube-scheduler's scheduling algorithm so far: filtering
   * (extender calls included), scoring and choosing a node, without the wait for binding.
   */
  double[] attemptSeconds() {
    String text = metrics();
    double[] totals = new double[2];
    if (text == null) {
      return totals;
    }
    Matcher m = ATTEMPT.matcher(text);
    while (m.find()) {
      totals[m.group(1).equals("sum") ? 0 : 1] += Double.parseDouble(m.group(2));
    }
    return totals;
  }

  private String metrics() {
    try {
      HttpResponse<String> response = INSECURE.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/metrics"))
          .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    Exec.stop(process, Duration.ofSeconds(10));
  }

  /** kube-scheduler serves a self-signed certificate on loopback; only its metrics are read. */
  private static final HttpClient INSECURE = insecureClient();

  private static HttpClient insecureClient() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }}, null);
      return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(2)).build();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
