package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.controller.admission.AdmissionReviewer;
import dev.tessera.controller.admission.AdmissionReviewer.Endpoint;
import dev.tessera.mockapi.EmbeddedApiServer;
import dev.tessera.mockapi.Webhook;
import dev.tessera.mockapi.Webhook.Operation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Set;

/**
 * Tessera's admission webhooks on the in-process API server, as {@code deploy/35-admission.yaml}
 * registers them on a cluster: the same names and rules, and the reviewer the extender serves over
 * HTTPS, called in process with the same AdmissionReviews. So a workload submitted to the demo,
 * dry run or not, gets the workload policies' defaults and refusals it would get on a cluster, and
 * its creator recorded from the user the request impersonates.
 */
final class DemoAdmission {
  private DemoAdmission() {}

  /** The MutatingWebhookConfiguration's webhook: the policies' defaults and the creator. */
  static final String DEFAULTS = "defaults.workloads.tessera.dev";
  /** The ValidatingWebhookConfiguration's webhook: the policies' rules. */
  static final String POLICIES = "policies.workloads.tessera.dev";
  /**
   * The pod webhook: Tessera's scheduler, GPU share and workload labels for pods of project
   * namespaces. The in-process API server has no namespace selectors; the reviewer leaves pods of
   * namespaces no project owns as they are, which is what the selector does on a cluster.
   */
  static final String PODS = "pods.tessera.dev";

  private static final Set<String> WORKLOADS = Set.of(
      HasMetadata.getPlural(WorkspaceResource.class),
      HasMetadata.getPlural(TrainingResource.class),
      HasMetadata.getPlural(DistributedTrainingResource.class),
      HasMetadata.getPlural(InferenceResource.class));

  static void register(EmbeddedApiServer api, AdmissionReviewer reviewer) {
    webhooks(reviewer).forEach(api::register);
  }

  /** In deploy/35-admission.yaml's order: the workloads' mutating and validating webhooks, then the pods'. */
  static List<Webhook> webhooks(AdmissionReviewer reviewer) {
    return List.of(
        Webhook.mutating(DEFAULTS,
            new Webhook.Rule(WellKnown.API_GROUP, WellKnown.API_VERSION, WORKLOADS, Set.of(Operation.CREATE)),
            review -> reviewer.review(Endpoint.MUTATE, review)),
        Webhook.validating(POLICIES,
            new Webhook.Rule(WellKnown.API_GROUP, WellKnown.API_VERSION, WORKLOADS,
                Set.of(Operation.CREATE, Operation.UPDATE)),
            review -> reviewer.review(Endpoint.VALIDATE, review)),
        Webhook.mutating(PODS, new Webhook.Rule("", "v1", Set.of("pods"), Set.of(Operation.CREATE)),
            review -> reviewer.review(Endpoint.MUTATE, review)));
  }
}
