package dev.tessera.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.controller.admission.AdmissionReviewer;
import dev.tessera.controller.admission.AdmissionRuntime;
import dev.tessera.controller.external.ApiOwnerReader;
import dev.tessera.controller.external.PodMutation;
import dev.tessera.controller.external.TopOwners;
import dev.tessera.controller.workloads.policy.WorkloadPolicies;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.function.Function;

/**
 * Tessera's pod webhook as deploy/35-admission.yaml registers it (its selectors, rule and path),
 * served in this JVM on 127.0.0.1: the extender serves it in a cluster, where its certificate comes
 * from cert-manager. It reads pods' owners with the extender's own credentials, so the extender's
 * RBAC is what lets it, and finds a namespace's project from the Projects the API server holds.
 */
final class PodWebhook implements AutoCloseable {
  static final String NAME = "tessera-pods";

  private final ControlPlane plane;
  private final AdmissionRuntime server;
  private final KubernetesClient extenderClient;

  private PodWebhook(ControlPlane plane, AdmissionRuntime server, KubernetesClient extenderClient) {
    this.plane = plane;
    this.server = server;
    this.extenderClient = extenderClient;
  }

  /**
   * Serves and registers the webhook, and waits until the API server calls it for a pod of {@code
   * namespace} (which must be a Project's, labelled by the extender).
   */
  static PodWebhook register(ControlPlane plane, String namespace) {
    AdmissionWebhook.Tls tls = AdmissionWebhook.Tls.selfSigned(plane.work.resolve("admission-pods"), "tessera-e2e-pods");
    KubernetesClient extenderClient = ControlPlane.client(plane.kubeconfigFor("tessera-extender"));
    KubernetesClient admin = plane.admin();
    Function<String, String> projectOf = ns -> admin.resources(ProjectResource.class).list().getItems().stream()
        .filter(p -> p.getSpec() != null && p.getSpec().namespaces() != null && p.getSpec().namespaces().contains(ns))
        .map(p -> p.getMetadata().getName()).findFirst().orElse(null);
    AdmissionReviewer reviewer = new AdmissionReviewer(() -> WorkloadPolicies.NONE, projectOf,
        AdmissionReviewer.NO_OTHER_KINDS,
        new PodMutation(projectOf, new TopOwners(new ApiOwnerReader(extenderClient)), new ObjectMapper()));
    AdmissionRuntime server = AdmissionRuntime.start(0, tls.cert(), tls.key(), reviewer);
    PodWebhook webhook = new PodWebhook(plane, server, extenderClient);
    try {
      MutatingWebhookConfiguration shipped = shipped(plane);
      var hook = shipped.getWebhooks().get(0);
      hook.getClientConfig().setService(null);
      hook.getClientConfig().setUrl("https://127.0.0.1:" + server.port().orElseThrow()
          + hook.getClientConfig().getUrl());
      hook.getClientConfig().setCaBundle(tls.caBundle());
      shipped.getMetadata().setAnnotations(null); // no cert-manager here
      plane.apply(shipped);
      Await.until("the API server to call the pod webhook for namespace " + namespace, Duration.ofSeconds(60),
          () -> WellKnown.SCHEDULER_NAME.equals(
              admin.resource(probe(namespace)).dryRun().create().getSpec().getSchedulerName()));
    } catch (IOException e) {
      webhook.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      webhook.close();
      throw e;
    }
    return webhook;
  }

  /** deploy/35-admission.yaml's pod webhook, its Service path moved into the URL field for the caller to complete. */
  private static MutatingWebhookConfiguration shipped(ControlPlane plane) throws IOException {
    try (InputStream in = Files.newInputStream(plane.deploy.resolve("35-admission.yaml"))) {
      for (HasMetadata object : plane.admin().load(in).items()) {
        if (object instanceof MutatingWebhookConfiguration config && NAME.equals(config.getMetadata().getName())) {
          var clientConfig = config.getWebhooks().get(0).getClientConfig();
          clientConfig.setUrl(clientConfig.getService().getPath());
          return config;
        }
      }
    }
    throw new AssertionError("deploy/35-admission.yaml has no MutatingWebhookConfiguration " + NAME);
  }

  private static Pod probe(String namespace) {
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withNamespace(namespace).withName("pod-webhook-probe").endMetadata()
        .withNewSpec().addNewContainer().withName("main").withImage("registry.invalid/probe:1").endContainer()
        .endSpec().build();
  }

  /** Unregisters the webhook and stops serving it. */
  @Override
  public void close() {
    try {
      plane.admin().admissionRegistration().v1().mutatingWebhookConfigurations().withName(NAME).delete();
    } finally {
      server.close();
      extenderClient.close();
    }
  }
}
