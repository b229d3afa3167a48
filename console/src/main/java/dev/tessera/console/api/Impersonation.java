package dev.tessera.console.api;

import dev.tessera.console.access.Caller;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import java.util.function.Function;

/**
 * Runs API calls as the caller (the API server's impersonation), so what users do through the
 * console meets the same RBAC, admission and audit as kubectl, and the admission webhook records
 * the real user as the workload's creator.
 */
final class Impersonation {
  private final KubernetesClient client;
  private final boolean enabled;

  /**
   * @param enabled false to act with the console's own account (tests whose API server reviews
   *     nothing); the embedded demo impersonates, as its API server's admission records the user
   */
  Impersonation(KubernetesClient client, boolean enabled) {
    this.client = client;
    this.enabled = enabled;
  }

  <T> T as(Caller caller, Function<KubernetesClient, T> call) {
    if (!enabled) {
      return call.apply(client);
    }
    return client.adapt(NamespacedKubernetesClient.class)
        .withRequestConfig(new RequestConfigBuilder()
            .withImpersonateUsername(caller.user())
            .withImpersonateGroups(caller.groups().toArray(String[]::new))
            .build())
        .call(call::apply);
  }
}
