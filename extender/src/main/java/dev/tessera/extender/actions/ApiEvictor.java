package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Objects;

/**
 * Evicts pods through the Eviction API ({@code POST .../pods/{name}/eviction}), so
 * PodDisruptionBudgets are respected and the pod's controller sees an ordinary eviction. The UID
 * precondition makes sure a pod recreated under the same name is never the one evicted.
 *
 * <p>RBAC: {@code create} on {@code pods/eviction}.
 */
public final class ApiEvictor implements Evictor, AutoCloseable {
  private final KubernetesClient client;

  /**
   * Evicts with a client of its own, configured like {@code client} but without retries: fabric8
   * retries HTTP 429 with backoff for seconds, and a 429 here is a disruption budget's answer, not
   * overload; the caller's next round asks again.
   */
  public ApiEvictor(KubernetesClient client) {
    Objects.requireNonNull(client, "client");
    this.client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(client.getConfiguration()).withRequestRetryBackoffLimit(0).build())
        .build();
  }

  @Override
  public void close() {
    client.close();
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
      // fabric8 answers false for HTTP 429: a disruption budget allows no eviction now.
      boolean evicted = client.pods().inNamespace(pod.namespace()).withName(pod.name()).evict(eviction);
      return evicted
          ? new Result(Outcome.EVICTED, "")
          : new Result(Outcome.BLOCKED_BY_BUDGET, "a PodDisruptionBudget allows no disruption now");
    } catch (KubernetesClientException e) {
      String detail = e.getStatus() != null && e.getStatus().getMessage() != null
          ? e.getStatus().getMessage()
          : String.valueOf(e.getMessage());
      return switch (e.getCode()) {
        case 404, 409 -> new Result(Outcome.GONE, detail);
        case 429 -> new Result(Outcome.BLOCKED_BY_BUDGET, detail);
        default -> new Result(Outcome.FAILED, "HTTP " + e.getCode() + ": " + detail + rootCause(e));
      };
    } catch (RuntimeException e) {
      return new Result(Outcome.FAILED, e + rootCause(e));
    }
  }

  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? "" : " (" + root + ")";
  }
}
