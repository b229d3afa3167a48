package dev.tessera.console.access;

import java.util.List;
import java.util.Objects;

/**
 * Who is calling, as the API server authenticated them.
 *
 * @param user the user name ("alice", "system:serviceaccount:team-a:ci", an OIDC subject)
 * @param groups the groups they belong to, as the authenticator reported them
 */
public record Caller(String user, List<String> groups) {
  public Caller {
    Objects.requireNonNull(user, "user");
    groups = groups == null ? List.of() : List.copyOf(groups);
  }
}
