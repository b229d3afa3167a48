package dev.tessera.console.access;

import java.util.Objects;

/**
 * One thing a caller may or may not do, in Kubernetes RBAC's terms (a SubjectAccessReview's
 * resource attributes).
 *
 * @param verb "get", "list", "watch", "create", "patch", "delete"
 * @param group the API group ("tessera.dev", "" for the core group)
 * @param resource the plural ("trainings", "pods")
 * @param subresource "log", "status", or null
 * @param namespace the namespace it is asked in
 */
public record Permission(String verb, String group, String resource, String subresource, String namespace) {
  public Permission {
    Objects.requireNonNull(verb, "verb");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(namespace, "namespace");
  }

  /** A verb on a tessera.dev resource in a namespace. */
  public static Permission tessera(String verb, String resource, String namespace) {
    return new Permission(verb, "tessera.dev", resource, null, namespace);
  }

  /** Reading a pod's log in a namespace. */
  public static Permission podLogs(String namespace) {
    return new Permission("get", "", "pods", "log", namespace);
  }

  /** Says it as kubectl would: "patch trainings.tessera.dev in namespace team-a". */
  public String describe() {
    String what = group.isEmpty() ? resource : resource + "." + group;
    return verb + " " + (subresource == null ? what : what + "/" + subresource) + " in namespace " + namespace;
  }
}
