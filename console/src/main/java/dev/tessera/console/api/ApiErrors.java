package dev.tessera.console.api;

import dev.tessera.console.http.ApiException;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;

/** The API server's refusals, passed on as they came: its code, reason, message and field errors. */
final class ApiErrors {
  private ApiErrors() {}

  static ApiException from(KubernetesClientException e, String doing) {
    Status status = e.getStatus();
    int code = e.getCode() > 0 ? e.getCode() : 503;
    String reason = status != null && status.getReason() != null ? status.getReason()
        : code == 503 ? "ServiceUnavailable" : "InternalError";
    String message = status != null && status.getMessage() != null ? status.getMessage() : e.getMessage();
    List<ApiException.FieldError> causes = new ArrayList<>();
    if (status != null && status.getDetails() != null && status.getDetails().getCauses() != null) {
      for (StatusCause cause : status.getDetails().getCauses()) {
        causes.add(new ApiException.FieldError(cause.getField(), cause.getReason(), cause.getMessage()));
      }
    }
    return new ApiException(code, reason, "could not " + doing + ": " + message, causes);
  }
}
