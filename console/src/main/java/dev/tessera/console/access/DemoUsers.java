package dev.tessera.console.access;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The embedded demo's users, with fixed tokens: the demo runs on fabric8's mock API server, which
 * reviews no tokens and evaluates no RBAC, so this stands in for both. Each user holds some of the
 * user roles ({@link UserRoles}, the rules of deploy/76-user-roles.yaml) cluster-wide or in a
 * namespace, and is allowed exactly what those roles' rules allow there, as RBAC would decide it.
 *
 * <p>{@link #forDemo()} has the demo's users. Their tokens are written here for anyone to read:
 * this must never stand in front of a real cluster.
 */
public final class DemoUsers implements Authenticator, Authorizer {
  /** Every authenticated caller is in this group, as on a real API server. */
  public static final String AUTHENTICATED = "system:authenticated";

  /**
   * A user of the demo.
   *
   * @param name the user name a {@link Caller} carries
   * @param token the bearer token that authenticates them
   * @param grants the roles they hold, and where
   */
  public record User(String name, String token, List<Grant> grants) {
    public User {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(token, "token");
      grants = List.copyOf(grants);
    }
  }

  /**
   * A role held, as a binding would grant it.
   *
   * @param clusterRole one of {@link UserRoles#names()}
   * @param namespace where it is held (a RoleBinding there), or null for everywhere (a
   *     ClusterRoleBinding)
   */
  public record Grant(String clusterRole, String namespace) {
    public Grant {
      UserRoles.rules(clusterRole); // refuses a role that is not one of the four
    }

    /** The role everywhere, as a ClusterRoleBinding grants it. */
    public static Grant everywhere(String clusterRole) {
      return new Grant(clusterRole, null);
    }

    boolean appliesIn(String namespaceAsked) {
      return namespace == null || namespace.equals(namespaceAsked);
    }

    /** Says it as RBAC's reasons do. */
    String binding() {
      return namespace == null
          ? "ClusterRoleBinding of ClusterRole \"" + clusterRole + "\""
          : "RoleBinding \"" + clusterRole + "/" + namespace + "\" of ClusterRole \"" + clusterRole + "\"";
    }
  }

  private final List<User> users;
  private final Map<String, User> byToken = new HashMap<>();
  private final Map<String, User> byName = new HashMap<>();

  public DemoUsers(List<User> users) {
    this.users = List.copyOf(users);
    for (User user : this.users) {
      if (byToken.put(user.token(), user) != null) {
        throw new IllegalArgumentException("two demo users have the token of " + user.name());
      }
      if (byName.put(user.name(), user) != null) {
        throw new IllegalArgumentException("two demo users are called " + user.name());
      }
    }
  }

  /**
   * The demo's users, fitting its projects team-vision and team-nlp (each in the namespace of its
   * name):
   *
   * <ul>
   *   <li>{@code admin}, token {@code tessera-demo-admin}: tessera-cluster-admin everywhere
   *   <li>{@code alice}, token {@code tessera-demo-alice}: tessera-researcher in team-vision
   *   <li>{@code bob}, token {@code tessera-demo-bob}: tessera-viewer in team-nlp
   *   <li>{@code carol}, token {@code tessera-demo-carol}: tessera-project-admin in team-vision
   * </ul>
   */
  public static DemoUsers forDemo() {
    return new DemoUsers(
        List.of(
            new User("admin", "tessera-demo-admin", List.of(Grant.everywhere(UserRoles.CLUSTER_ADMIN))),
            new User("alice", "tessera-demo-alice", List.of(new Grant(UserRoles.RESEARCHER, "team-vision"))),
            new User("bob", "tessera-demo-bob", List.of(new Grant(UserRoles.VIEWER, "team-nlp"))),
            new User("carol", "tessera-demo-carol", List.of(new Grant(UserRoles.PROJECT_ADMIN, "team-vision")))));
  }

  public List<User> users() {
    return users;
  }

  @Override
  public Caller authenticate(String bearerToken) {
    User user = bearerToken == null ? null : byToken.get(bearerToken);
    if (user == null) {
      throw new UnauthenticatedException("not a demo user's token");
    }
    return new Caller(user.name(), List.of(AUTHENTICATED));
  }

  @Override
  public Decision check(Caller caller, Permission permission) {
    Optional<Grant> grant =
        Optional.ofNullable(byName.get(caller.user())).stream()
            .flatMap(user -> user.grants().stream())
            .filter(g -> g.appliesIn(permission.namespace()) && UserRoles.allows(g.clusterRole(), permission))
            .findFirst();
    return grant
        .map(g -> Decision.allow("RBAC: allowed by " + g.binding() + " to User \"" + caller.user() + "\""))
        .orElseGet(() -> Decision.deny(Denials.noRuleAllows(caller, permission)));
  }
}
