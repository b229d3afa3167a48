package dev.tessera.console.api;

import dev.tessera.api.workloads.WorkloadKind;
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
  /** Per namespace, per kind (by ordinal): 0 not asked yet, 1 may, 2 may not. */
  private final Map<String, byte[]> answers = new HashMap<>();

  Visibility(Authorizer authorizer, Caller caller) {
    this.authorizer = authorizer;
    this.caller = caller;
  }

  boolean sees(WorkloadRow row) {
    return sees(row.namespace(), Plurals.ofType(row.type()));
  }

  /** Whether the caller may list workloads of {@code kind} in {@code namespace}. */
  boolean sees(String namespace, WorkloadKind kind) {
    // Called for every row of a list: one map lookup, nothing allocated once the answer is known.
    byte[] kinds = answers.computeIfAbsent(namespace, k -> new byte[KINDS.length]);
    if (kinds[kind.ordinal()] == 0) {
      boolean allowed = check(authorizer, caller, Permission.tessera("list", Plurals.of(kind), namespace)).allowed();
      kinds[kind.ordinal()] = (byte) (allowed ? 1 : 2);
    }
    return kinds[kind.ordinal()] == 1;
  }

  /** Whether the caller may list some workload kind in {@code namespace}: what makes a project theirs to see. */
  boolean seesAny(String namespace) {
    for (WorkloadKind kind : KINDS) {
      if (sees(namespace, kind)) {
        return true;
      }
    }
    return false;
  }

  private static final WorkloadKind[] KINDS = WorkloadKind.values();

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
