package dev.tessera.console.access;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** Says why a call to the API server failed, in words a log or a 503 can carry. */
final class ApiErrors {
  private ApiErrors() {}

  /**
   * The API server's own message when it answered ("tokenreviews.authentication.k8s.io is forbidden:
   * ..."), else what stopped the call ("java.net.ConnectException: Connection refused"): fabric8's
   * message alone is "An error has occurred." for the latter.
   */
  static String describe(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null && !e.getStatus().getMessage().isBlank()) {
      return e.getStatus().getMessage();
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
  }
}
