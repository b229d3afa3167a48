package dev.tessera.extender.cluster;

import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Objects;

/**
 * Evicts pods through the Eviction API ({@code POST .../pods/{name}/eviction}), so
 * PodDisruptionBudgets are respected and the pod's controller sees an ordinary eviction. The UID
 * precondition makes sure a pod recreated under the same name is never the one evicted.
 *
 * <p>RBAC: {@code create} on {@code pods/eviction}.
 */
public final class Evictor {
  /** What became of an eviction. */
  public enum Outcome {
    EVICTED,
    /** The pod (with that UID) no longer exists: nothing to do. */
    GONE,
    /** A PodDisruptionBudget forbids it now (HTTP 429). */
    BLOCKED_BY_BUDGET,
    FAILED
  }

  public record Result(Outcome outcome, String detail) {
    public boolean done() {
      return outcome == Outcome.EVICTED || outcome == Outcome.GONE;
    }
  }

  private final KubernetesClient client;

  public Evictor(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Never throws for API failures; they come back as the result. */
  public Result evict(PodKey pod) {
    Eviction eviction = new EvictionBuilder()
        .withNewMetadata()
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .endMetadata()
        .withDeleteOptions(new DeleteOptionsBuilder().withNewPreconditions().withUid(pod.uid()).endPreconditions().build())
        .build();
    try {
      client.raw("/api/v1/namespaces/" + pod.namespace() + "/pods/" + pod.name() + "/eviction", "POST", eviction);
      return new Result(Outcome.EVICTED, "");
    } catch (KubernetesClientException e) {
      String detail = e.getStatus() != null && e.getStatus().getMessage() != null
          ? e.getStatus().getMessage()
          : String.valueOf(e.getMessage());
      return switch (e.getCode()) {
        case 404, 409 -> new Result(Outcome.GONE, detail);
        case 429 -> new Result(Outcome.BLOCKED_BY_BUDGET, detail);
        default -> new Result(Outcome.FAILED, "HTTP " + e.getCode() + ": " + detail);
      };
    } catch (RuntimeException e) {
      return new Result(Outcome.FAILED, e.toString());
    }
  }
}
