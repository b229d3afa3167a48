package dev.tessera.console.access;

/**
 * Whether a caller may do something, decided as the API server would (RBAC). Safe for concurrent
 * use; implementations may cache answers for a few seconds.
 */
public interface Authorizer {

  /**
   * @throws AccessUnavailableException when it cannot be decided now (the API answers 503)
   */
  Decision check(Caller caller, Permission permission);
}
