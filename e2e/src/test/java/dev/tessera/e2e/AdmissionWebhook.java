package dev.tessera.e2e;

import dev.tessera.api.WellKnown;
import dev.tessera.controller.admission.AdmissionReviewer;
import dev.tessera.controller.admission.AdmissionRuntime;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Tessera's mutating admission webhook (the extender serves it in a cluster, deploy/35-admission.yaml
 * registers it) served in this JVM on 127.0.0.1 with a certificate made here, and registered for
 * the workloads of some namespaces only: the API server records in {@value
 * WellKnown#CREATED_BY_ANNOTATION} the user it authenticated for each create. With workload
 * policies, their defaults are filled in and a validating webhook refuses what breaks them, as
 * deploy/35-admission.yaml's pair does.
 */
final class AdmissionWebhook implements AutoCloseable {
  private static final String NAME = "tessera-e2e-created-by";
  private static final String POLICIES = "tessera-e2e-policies";

  private final ControlPlane plane;
  private final AdmissionRuntime server;

  private AdmissionWebhook(ControlPlane plane, AdmissionRuntime server) {
    this.plane = plane;
    this.server = server;
  }

  /** Serves the webhook, registers it for {@code namespaces}, and waits until the API server calls it. */
  static AdmissionWebhook register(ControlPlane plane, List<String> namespaces) {
    return register(plane, namespaces, () -> WorkloadPolicies.NONE, namespace -> null);
  }

  /**
   * As the other, with workload policies: {@code policies} is read at each review, and each
   * namespace's project is {@code projectOfNamespace}'s answer.
   */
  static AdmissionWebhook register(ControlPlane plane, List<String> namespaces, Supplier<WorkloadPolicies> policies,
      Function<String, String> projectOfNamespace) {
    Tls tls = Tls.selfSigned(plane.work.resolve("admission"), "tessera-e2e-admission");
    String caBundle = tls.caBundle();
    AdmissionRuntime server = AdmissionRuntime.start(0, tls.cert(), tls.key(), policies, projectOfNamespace,
        AdmissionReviewer.NO_OTHER_KINDS);
    AdmissionWebhook webhook = new AdmissionWebhook(plane, server);
    try {
      MutatingWebhookConfiguration configuration = new MutatingWebhookConfigurationBuilder()
          .withNewMetadata().withName(NAME).endMetadata()
          .addNewWebhook()
              .withName("created-by.e2e.tessera.dev")
              .withAdmissionReviewVersions("v1")
              .withSideEffects("None")
              // A webhook left behind by a killed test JVM must not stop later tests' creates.
              .withFailurePolicy("Ignore")
              .withTimeoutSeconds(5)
              .withNewClientConfig()
                  .withUrl("https://127.0.0.1:" + server.port().orElseThrow() + "/mutate")
                  .withCaBundle(caBundle)
              .endClientConfig()
              .withNewNamespaceSelector()
                  .addNewMatchExpression().withKey("kubernetes.io/metadata.name").withOperator("In")
                      .withValues(namespaces).endMatchExpression()
              .endNamespaceSelector()
              .addNewRule()
                  .withApiGroups("tessera.dev").withApiVersions("v1alpha1").withOperations("CREATE")
                  .withResources("workspaces", "trainings", "distributedtrainings", "inferences")
                  .withScope("Namespaced")
              .endRule()
          .endWebhook()
          .build();
      plane.apply(configuration);
      ValidatingWebhookConfiguration validating = new ValidatingWebhookConfigurationBuilder()
          .withNewMetadata().withName(POLICIES).endMetadata()
          .addNewWebhook()
              .withName("policies.e2e.tessera.dev")
              .withAdmissionReviewVersions("v1")
              .withSideEffects("None")
              .withFailurePolicy("Ignore")
              .withTimeoutSeconds(5)
              .withNewClientConfig()
                  .withUrl("https://127.0.0.1:" + server.port().orElseThrow() + AdmissionReviewer.Endpoint.VALIDATE.path())
                  .withCaBundle(caBundle)
              .endClientConfig()
              .withNewNamespaceSelector()
                  .addNewMatchExpression().withKey("kubernetes.io/metadata.name").withOperator("In")
                      .withValues(namespaces).endMatchExpression()
              .endNamespaceSelector()
              .addNewRule()
                  .withApiGroups("tessera.dev").withApiVersions("v1alpha1").withOperations("CREATE", "UPDATE")
                  .withResources("workspaces", "trainings", "distributedtrainings", "inferences")
                  .withScope("Namespaced")
              .endRule()
          .endWebhook()
          .build();
      plane.apply(validating);
      // The API server reads webhook configurations from an informer: a dry run shows when it calls this one.
      Await.until("the API server to call the admission webhook", Duration.ofSeconds(30),
          () -> createdBy(plane.admin().resource(probe(namespaces.get(0))).dryRun().create()) != null);
    } catch (RuntimeException | Error e) {
      webhook.close();
      throw e;
    }
    return webhook;
  }

  /** A serving certificate and key in {@code dir}, and the certificate as the caBundle the API server trusts. */
  record Tls(Path cert, Path key, String caBundle) {
    /** Self-signed for 127.0.0.1, the key in PKCS#8 as the webhook reads it. */
    static Tls selfSigned(Path dir, String commonName) {
      Path cert = dir.resolve("tls.crt");
      Path key = dir.resolve("tls.key");
      try {
        Files.createDirectories(dir);
        Exec.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=" + commonName, "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key.toString(), "-out", cert.toString()), Map.of(), Duration.ofSeconds(30));
        return new Tls(cert, key, Base64.getEncoder().encodeToString(Files.readAllBytes(cert)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static GenericKubernetesResource probe(String namespace) {
    return new GenericKubernetesResourceBuilder().withApiVersion("tessera.dev/v1alpha1").withKind("Training")
        .withNewMetadata().withNamespace(namespace).withName("webhook-probe").endMetadata()
        .addToAdditionalProperties("spec", Map.of("image", "registry.invalid/probe:1"))
        .build();
  }

  /** The user the webhook recorded as a workload's creator, or null. */
  static String createdBy(io.fabric8.kubernetes.api.model.HasMetadata workload) {
    Map<String, String> annotations = workload.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(WellKnown.CREATED_BY_ANNOTATION);
  }

  /** Unregisters the webhook and stops serving it. */
  @Override
  public void close() {
    try {
      plane.admin().admissionRegistration().v1().mutatingWebhookConfigurations().withName(NAME).delete();
      plane.admin().admissionRegistration().v1().validatingWebhookConfigurations().withName(POLICIES).delete();
    } finally {
      server.close();
    }
  }
}
