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
public final class ApiEvictor implements Evictor {
  private final KubernetesClient client;

  public ApiEvictor(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
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
