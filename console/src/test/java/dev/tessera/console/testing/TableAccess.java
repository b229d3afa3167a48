package dev.tessera.console.testing;

import dev.tessera.console.access.Authenticator;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Decision;
import dev.tessera.console.access.Permission;
import dev.tessera.console.access.UnauthenticatedException;
import java.util.Map;
import java.util.Set;

/**
 * Users with fixed tokens and, per namespace, the verbs they may use on everything in it: for
 * tests of the routes alone. The real authenticator and authorizer are tested against the API
 * server.
 */
public final class TableAccess implements Authenticator, Authorizer {
  private final Map<String, String> users;
  private final Map<String, Map<String, Set<String>>> verbs;

  /**
   * @param users token to user name
   * @param verbs user to namespace to verbs
   */
  public TableAccess(Map<String, String> users, Map<String, Map<String, Set<String>>> verbs) {
    this.users = Map.copyOf(users);
    this.verbs = Map.copyOf(verbs);
  }

  @Override
  public Caller authenticate(String bearerToken) {
    String user = users.get(bearerToken);
    if (user == null) {
      throw new UnauthenticatedException("the token is not valid");
    }
    return new Caller(user, java.util.List.of("system:authenticated"));
  }

  @Override
  public Decision check(Caller caller, Permission permission) {
    Set<String> allowed = verbs.getOrDefault(caller.user(), Map.of()).getOrDefault(permission.namespace(), Set.of());
    return allowed.contains(permission.verb()) ? Decision.allow("")
        : Decision.deny("no rule grants " + permission.describe());
  }
}
