package dev.tessera.console.access;

/** What a denial says when the authorizer gave no reason of its own: who asked for what. */
final class Denials {
  private Denials() {}

  static String noRuleAllows(Caller caller, Permission permission) {
    return "no RBAC rule lets " + caller.user() + " " + permission.describe();
  }
}
