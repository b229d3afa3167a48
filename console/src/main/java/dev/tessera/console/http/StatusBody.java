package dev.tessera.console.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A Kubernetes {@code Status} (apiVersion v1), as every error of the API is answered, so clients
 * that read the API server's errors read ours.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StatusBody(String kind, String apiVersion, Metadata metadata, String status, String message,
    String reason, Details details, int code) {

  /** Always empty; there for the shape. */
  public record Metadata() {}

  /** The field errors of an invalid request. */
  public record Details(List<ApiException.FieldError> causes) {}

  public static StatusBody of(ApiException error) {
    return new StatusBody("Status", "v1", new Metadata(), "Failure", error.getMessage(), error.reason(),
        error.causes().isEmpty() ? null : new Details(error.causes()), error.code());
  }
}
