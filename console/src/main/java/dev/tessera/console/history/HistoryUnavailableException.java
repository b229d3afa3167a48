package dev.tessera.console.history;

/** The history store could not be reached or refused a statement; the API answers 503 with it. */
public final class HistoryUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public HistoryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
