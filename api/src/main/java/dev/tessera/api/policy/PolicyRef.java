package dev.tessera.api.policy;

import java.util.Objects;

/**
 * Which policy object a verdict of the extender's policy validation is about.
 *
 * @param namespace null for the cluster-scoped kinds
 */
public record PolicyRef(Kind kind, String namespace, String name) implements Comparable<PolicyRef> {
  /** The four policy kinds, named as the API names them. */
  public enum Kind {
    NODE_POOL("NodePool"),
    DEPARTMENT("Department"),
    PROJECT("Project"),
    POD_GROUP("PodGroup");

    private final String apiKind;

    Kind(String apiKind) {
      this.apiKind = apiKind;
    }

    public String apiKind() {
      return apiKind;
    }
  }

  public PolicyRef {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
  }

  public static PolicyRef nodePool(String name) {
    return new PolicyRef(Kind.NODE_POOL, null, name);
  }

  public static PolicyRef department(String name) {
    return new PolicyRef(Kind.DEPARTMENT, null, name);
  }

  public static PolicyRef project(String name) {
    return new PolicyRef(Kind.PROJECT, null, name);
  }

  public static PolicyRef podGroup(String namespace, String name) {
    return new PolicyRef(Kind.POD_GROUP, Objects.requireNonNull(namespace, "namespace"), name);
  }

  @Override
  public int compareTo(PolicyRef other) {
    int byKind = kind.compareTo(other.kind);
    if (byKind != 0) {
      return byKind;
    }
    int byNamespace = String.valueOf(namespace).compareTo(String.valueOf(other.namespace));
    return byNamespace != 0 ? byNamespace : name.compareTo(other.name);
  }

  /** "Project ml-team", "PodGroup ml/train": how logs and messages name the object. */
  @Override
  public String toString() {
    return kind.apiKind() + " " + (namespace == null ? name : namespace + "/" + name);
  }
}
