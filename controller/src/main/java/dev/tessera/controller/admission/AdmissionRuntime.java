package dev.tessera.controller.admission;

import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the admission webhook next to the extender when it has a certificate, and says clearly
 * when it does not: without {@code --admission-cert} and {@code --admission-key} nothing is served
 * and the controller alone enforces the workload policies (a bad workload is accepted by {@code
 * kubectl apply} and then set to Failed). Kept out of {@code ExtenderRuntime} so the extender's
 * startup does not depend on TLS files.
 */
public final class AdmissionRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdmissionRuntime.class);

  private final AdmissionServer server; // null when disabled

  private AdmissionRuntime(AdmissionServer server) {
    this.server = server;
  }

  /**
   * Starts the webhook on {@code port} when both files are given; otherwise logs that it is off.
   *
   * @throws IllegalStateException when the files cannot be used or the port cannot be bound; the
   *     message says which and what to do
   */
  public static AdmissionRuntime start(
      int port,
      Path certFile,
      Path keyFile,
      Supplier<WorkloadPolicies> policies,
      Function<String, String> projectOfNamespace,
      AdmissionReviewer.OtherKinds otherKinds) {
    return start(port, certFile, keyFile, new AdmissionReviewer(
        Objects.requireNonNull(policies, "policies"),
        Objects.requireNonNull(projectOfNamespace, "projectOfNamespace"),
        Objects.requireNonNull(otherKinds, "otherKinds")));
  }

  /**
   * As the other, serving {@code reviewer}: the one the embedded demo's API server calls in
   * process, where there is no HTTPS to serve.
   */
  public static AdmissionRuntime start(int port, Path certFile, Path keyFile, AdmissionReviewer reviewer) {
    Objects.requireNonNull(reviewer, "reviewer");
    if (certFile == null || keyFile == null) {
      log.info(
          "Admission webhook disabled: pass --admission-cert and --admission-key (PEM, as in a"
              + " kubernetes.io/tls secret) to serve /validate and /mutate on --admission-port;"
              + " workload policies are still enforced by the workload controller");
      return new AdmissionRuntime(null);
    }
    AdmissionServer server =
        new AdmissionServer(
            port,
            AdmissionServer.DEFAULT_MAX_REQUEST_BYTES,
            PemTls.serverContext(certFile, keyFile),
            reviewer);
    server.start();
    return new AdmissionRuntime(server);
  }

  /** The port served, empty when the webhook is disabled. */
  public OptionalInt port() {
    return server == null ? OptionalInt.empty() : OptionalInt.of(server.port());
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
