package dev.tessera.console.http;

import java.util.List;

/**
 * A request the API refuses, answered as a Kubernetes {@code Status}: the HTTP code, a CamelCase
 * reason ("BadRequest", "Forbidden", "NotFound", "Invalid", "Expired", "ServiceUnavailable") and a
 * message a person can act on; field errors for an invalid submission.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String reason;
  private final transient List<FieldError> causes;

  public ApiException(int code, String reason, String message) {
    this(code, reason, message, List.of());
  }

  public ApiException(int code, String reason, String message, List<FieldError> causes) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.causes = List.copyOf(causes);
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, "BadRequest", message);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(403, "Forbidden", message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "NotFound", message);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(503, "ServiceUnavailable", message);
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public List<FieldError> causes() {
    return causes;
  }

  /**
   * One field's problem, as {@code status.details.causes} carries it.
   *
   * @param field the field's path ("spec.gpu.fraction")
   * @param reason "FieldValueInvalid", "FieldValueRequired", ...
   * @param message what is wrong with it
   */
  public record FieldError(String field, String reason, String message) {}
}
