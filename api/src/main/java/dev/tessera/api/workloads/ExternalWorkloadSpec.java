package dev.tessera.api.workloads;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * What Tessera knows of another controller's workload: its top owner and the gang its pods form.
 * Written by the external-workload controller, never by users.
 *
 * @param owner the object at the top of the pods' owner references
 * @param minMember how many of its pods must be placed together (1: each pod alone)
 * @param podGroup the PodGroup its pods are gang-scheduled by, or null when {@code minMember} is 1
 * @param grouping how the workload's pods and minimum were found, in words: the rule for the
 *     owner's kind ("PyTorchJob: every replica of pytorchReplicaSpecs")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExternalWorkloadSpec(Owner owner, Integer minMember, String podGroup, String grouping) {
  /** A Kubernetes object, as an owner reference names it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Owner(String apiVersion, String kind, String name, String uid) {
    public Owner {
      Objects.requireNonNull(apiVersion, "apiVersion");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(name, "name");
    }

    /** {@code apiVersion/kind/name/uid}, the form of {@link dev.tessera.api.WellKnown#TOP_OWNER_ANNOTATION}. */
    public String annotation() {
      return apiVersion + "/" + kind + "/" + name + "/" + (uid == null ? "" : uid);
    }

    /** The owner an annotation names, or null when it is not {@code apiVersion/kind/name/uid}. */
    public static Owner parse(String annotation) {
      if (annotation == null) {
        return null;
      }
      String[] parts = annotation.split("/", -1);
      // apiVersion has a slash unless it is the core group's "v1".
      if (parts.length == 5) {
        return blank(parts[2]) || blank(parts[3]) ? null
            : new Owner(parts[0] + "/" + parts[1], parts[2], parts[3], parts[4].isEmpty() ? null : parts[4]);
      }
      if (parts.length == 4) {
        return blank(parts[0]) || blank(parts[1]) || blank(parts[2]) ? null
            : new Owner(parts[0], parts[1], parts[2], parts[3].isEmpty() ? null : parts[3]);
      }
      return null;
    }

    private static boolean blank(String s) {
      return s.isBlank();
    }
  }
}
