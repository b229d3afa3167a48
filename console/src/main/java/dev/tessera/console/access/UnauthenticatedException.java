package dev.tessera.console.access;

/** The bearer token is not one the API server accepts; the API answers 401 with the message. */
public final class UnauthenticatedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnauthenticatedException(String message) {
    super(message);
  }
}
