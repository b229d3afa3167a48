package dev.tessera.controller.external;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads an owner from the API server, one GET each: the pod webhook needs an owner's controller
 * reference and size at the moment its pod is created, when an informer may not have seen an
 * owner made a few milliseconds before.
 */
public final class ApiOwnerReader implements TopOwners.Reader {
  private final KubernetesClient client;

  public ApiOwnerReader(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  @SuppressWarnings("unchecked")
  public Optional<Map<String, Object>> read(String namespace, String apiVersion, String kind, String name)
      throws TopOwners.ReadFailed {
    try {
      GenericKubernetesResource object =
          client.genericKubernetesResources(apiVersion, kind).inNamespace(namespace).withName(name).get();
      return object == null ? Optional.empty()
          : Optional.of(client.getKubernetesSerialization().convertValue(object, Map.class));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      if (e.getCode() == 403) {
        throw new TopOwners.ReadFailed("the extender may not read " + kind + " " + namespace + "/" + name
            + " (HTTP 403): grant its ServiceAccount get on " + kind + " as deploy/10-extender-rbac.yaml does", e);
      }
      if (e.getCode() == 0 && String.valueOf(e.getMessage()).contains("resource type")) {
        return Optional.empty(); // the API server serves no such kind: the owner cannot exist
      }
      throw new TopOwners.ReadFailed("reading " + kind + " " + namespace + "/" + name + " failed (HTTP "
          + e.getCode() + ": " + e.getMessage() + ")", e);
    }
  }
}
