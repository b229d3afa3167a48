package dev.tessera.console.api;

import dev.tessera.console.access.AccessUnavailableException;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Decision;
import dev.tessera.console.access.Permission;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.table.WorkloadRow;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether a caller may see a row: {@code list} on its kind in its namespace, as RBAC says. One
 * answer per namespace and kind for the life of a request, so a list of 10,000 rows in 40
 * namespaces asks at most 160 times (and the authorizer caches across requests).
 */
final class Visibility {
  private final Authorizer authorizer;
  private final Caller caller;
  private final Map<String, Boolean> answers = new HashMap<>();

  Visibility(Authorizer authorizer, Caller caller) {
    this.authorizer = authorizer;
    this.caller = caller;
  }

  boolean sees(WorkloadRow row) {
    String plural = Plurals.of(Plurals.ofType(row.type()));
    return answers.computeIfAbsent(row.namespace() + "/" + plural,
        key -> check(authorizer, caller, Permission.tessera("list", plural, row.namespace())).allowed());
  }

  /** Asks the authorizer; an authorizer that cannot answer makes the request 503. */
  static Decision check(Authorizer authorizer, Caller caller, Permission permission) {
    try {
      return authorizer.check(caller, permission);
    } catch (AccessUnavailableException e) {
      throw ApiException.unavailable("cannot check access now: " + e.getMessage());
    }
  }

  /** Refuses with 403 and RBAC's reason unless the caller may. */
  static void require(Authorizer authorizer, Caller caller, Permission permission) {
    Decision decision = check(authorizer, caller, permission);
    if (!decision.allowed()) {
      String why = decision.reason().isEmpty() ? "" : " (" + decision.reason() + ")";
      throw ApiException.forbidden("user \"" + caller.user() + "\" may not " + permission.describe() + why);
    }
  }
}
