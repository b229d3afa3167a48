package dev.tessera.controller.workloads.policy;

import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import java.util.Objects;

/**
 * A WorkloadPolicy with its name: messages name the policy a rule comes from, so that the user
 * knows whom to ask and the admin what to edit.
 *
 * @param name the WorkloadPolicy's metadata.name
 * @param spec null when the object has none (it is reported, then ignored)
 */
public record NamedPolicy(String name, WorkloadPolicySpec spec) {
  public NamedPolicy {
    Objects.requireNonNull(name, "name");
  }

  /** The policy as {@link WorkloadPolicies} reads it. */
  public static NamedPolicy of(WorkloadPolicyResource resource) {
    return new NamedPolicy(resource.getMetadata().getName(), resource.getSpec());
  }
}
