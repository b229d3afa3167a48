package dev.tessera.console.metrics;

/** The metrics source could not answer (Prometheus down or refusing the query). */
public final class MetricsUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MetricsUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
