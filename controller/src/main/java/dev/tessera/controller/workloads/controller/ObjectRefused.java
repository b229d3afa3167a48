package dev.tessera.controller.workloads.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * An object a workload needs could not be created: the API server refused it, or its name is
 * another workload's. Carries what the workload's status and events say about it.
 */
final class ObjectRefused extends RuntimeException {
  private final String reason;
  private final boolean permanent;

  private ObjectRefused(String reason, String message, boolean permanent, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.permanent = permanent;
  }

  /** The API server's refusal of {@code object}; 400 and 422 (invalid) are permanent. */
  static ObjectRefused of(HasMetadata object, KubernetesClientException e) {
    String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
        : e.getMessage();
    boolean invalid = e.getCode() == 400 || e.getCode() == 422;
    return new ObjectRefused(invalid ? "InvalidObject" : "CreateFailed",
        "the API server refused " + describe(object) + " (HTTP " + e.getCode() + "): " + said, invalid, e);
  }

  /** {@code object}'s name is taken by {@code existing}, which another workload (or nobody) owns. */
  static ObjectRefused taken(HasMetadata object, HasMetadata existing) {
    OwnerReference owner = existing.getMetadata().getOwnerReferences() == null ? null
        : existing.getMetadata().getOwnerReferences().stream().findFirst().orElse(null);
    String whose = owner == null ? "is not this workload's" : "belongs to " + owner.getKind() + " " + owner.getName();
    return new ObjectRefused("NameTaken", describe(object) + " already exists and " + whose
        + "; workload names must be unique across kinds in a namespace: delete this workload and submit it"
        + " under another name", true, null);
  }

  private static String describe(HasMetadata object) {
    return object.getKind() + " " + object.getMetadata().getName();
  }

  /** A CamelCase word for the status and the event. */
  String reason() {
    return reason;
  }

  /** Whether trying again cannot help until the workload changes. */
  boolean permanent() {
    return permanent;
  }
}
