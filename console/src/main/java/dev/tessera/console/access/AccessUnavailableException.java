package dev.tessera.console.access;

/** Authentication or authorization could not be decided now (the API server is unreachable). */
public final class AccessUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AccessUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
