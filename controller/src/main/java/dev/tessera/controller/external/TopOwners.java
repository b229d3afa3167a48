package dev.tessera.controller.external;

import dev.tessera.api.workloads.ExternalWorkloadSpec.Owner;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the object at the top of a pod's owner references: a ReplicaSet's Deployment, a Job's
 * JobSet or RayJob, a RayCluster's RayJob, a Spark executor's driver and its SparkApplication. The
 * walk follows each object's controller reference ({@code controller: true}, else its first owner),
 * reads only the kinds {@link GroupingRules#readable} lists (RBAC grants those), and stops where
 * {@link GroupingRules} says, or after {@value #MAX_DEPTH} steps.
 */
public final class TopOwners {
  static final int MAX_DEPTH = 8;

  /** Reads one namespaced object. */
  @FunctionalInterface
  public interface Reader {
    /**
     * The object as a map of its JSON, or empty when the API server has no such object.
     *
     * @throws ReadFailed when the API server did not answer
     */
    Optional<Map<String, Object>> read(String namespace, String apiVersion, String kind, String name)
        throws ReadFailed;
  }

  /** The API server did not say whether an owner exists. */
  public static final class ReadFailed extends Exception {
    private static final long serialVersionUID = 1L;

    public ReadFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The top owner and its object.
   *
   * @param object its JSON as a map; null when its kind is not one Tessera reads, or it is gone
   */
  public record Found(Owner owner, Map<String, Object> object) {}

  private final Reader reader;

  public TopOwners(Reader reader) {
    this.reader = Objects.requireNonNull(reader, "reader");
  }

  /**
   * The top owner of a pod in {@code namespace} with {@code ownerReferences} (its metadata's, as
   * maps), or empty for a pod no object owns.
   */
  public Optional<Found> of(String namespace, List<?> ownerReferences) throws ReadFailed {
    Owner current = controllerOf(ownerReferences);
    if (current == null) {
      return Optional.empty();
    }
    for (int depth = 0; ; depth++) {
      if (!GroupingRules.readable(current.apiVersion(), current.kind())) {
        return Optional.of(new Found(current, null));
      }
      Optional<Map<String, Object>> object = reader.read(namespace, current.apiVersion(), current.kind(), current.name());
      if (object.isEmpty()) {
        return Optional.of(new Found(current, null)); // going: the garbage collector takes its pods too
      }
      if (depth >= MAX_DEPTH || !GroupingRules.followsUp(current.apiVersion(), current.kind())) {
        return Optional.of(new Found(current, object.get()));
      }
      Object metadata = object.get().get("metadata");
      Owner parent = controllerOf(metadata instanceof Map<?, ?> m ? (List<?>) asList(m.get("ownerReferences")) : List.of());
      if (parent == null || GroupingRules.stopsBelow(parent.apiVersion(), parent.kind())) {
        return Optional.of(new Found(current, object.get()));
      }
      current = parent;
    }
  }

  /** The reference with {@code controller: true}, else the first; null when there is none usable. */
  static Owner controllerOf(List<?> references) {
    Owner first = null;
    for (Object reference : references == null ? List.of() : references) {
      if (!(reference instanceof Map<?, ?> ref)) {
        continue;
      }
      Object apiVersion = ref.get("apiVersion");
      Object kind = ref.get("kind");
      Object name = ref.get("name");
      Object uid = ref.get("uid");
      if (!(apiVersion instanceof String a) || !(kind instanceof String k) || !(name instanceof String n)
          || a.isBlank() || k.isBlank() || n.isBlank()) {
        continue;
      }
      Owner owner = new Owner(a, k, n, uid instanceof String u && !u.isBlank() ? u : null);
      if (Boolean.TRUE.equals(ref.get("controller"))) {
        return owner;
      }
      first = first == null ? owner : first;
    }
    return first;
  }

  private static List<?> asList(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }
}
