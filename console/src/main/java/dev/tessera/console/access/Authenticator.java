package dev.tessera.console.access;

/** Turns a bearer token into the caller it belongs to. Safe for concurrent use. */
public interface Authenticator {

  /**
   * @param bearerToken the token from {@code Authorization: Bearer ...}, never null or empty
   * @return who the token belongs to
   * @throws UnauthenticatedException when the token is not valid (the API answers 401)
   * @throws AccessUnavailableException when it cannot be checked now (the API answers 503)
   */
  Caller authenticate(String bearerToken);
}
