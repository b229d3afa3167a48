package dev.tessera.agent.kube;

/** A failed call to the API server: an HTTP status it answered with, or 0 when it was not reached. */
public final class KubeApiException extends RuntimeException {
  private final int status;

  public KubeApiException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The HTTP status, or 0 for an I/O failure (no answer, timeout). */
  public int status() {
    return status;
  }
}
