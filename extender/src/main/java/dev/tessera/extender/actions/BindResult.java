package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;
import java.util.Objects;

/**
 * What {@link Binder#bind} did: the pod is bound, or why not.
 *
 * @param node the node the pod is now bound to for {@link Outcome#BOUND}; the node it was already
 *     bound to for {@link Outcome#ALREADY_BOUND}; else the node it was to be bound to
 * @param httpStatus the API server's HTTP status for a failure (0 when no answer came: timeout,
 *     connection refused); 201 when bound
 * @param message for people: what happened and, for a failure, what it means
 */
public record BindResult(Outcome outcome, PodKey pod, String node, int httpStatus, String message) {

  public enum Outcome {
    BOUND,
    /** The pod no longer exists (deleted before it could be bound): 404. */
    POD_NOT_FOUND,
    /** Something else bound the pod first: 409, "already assigned to node". */
    ALREADY_BOUND,
    /** The pod was deleted and recreated under the same name: 409 on the UID precondition. */
    UID_CHANGED,
    /** Any other failure: API errors, timeouts, admission, authorisation. */
    API_ERROR
  }

  public BindResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(message, "message");
  }

  public static BindResult bound(PodKey pod, String node) {
    return new BindResult(Outcome.BOUND, pod, node, 201, "bound " + pod + " to node " + node);
  }

  public static BindResult podNotFound(PodKey pod, String node) {
    return new BindResult(
        Outcome.POD_NOT_FOUND, pod, node, 404,
        "pod " + pod + " no longer exists; it was deleted before it could be bound to " + node);
  }

  public static BindResult alreadyBound(PodKey pod, String boundTo, String wanted) {
    return new BindResult(
        Outcome.ALREADY_BOUND, pod, boundTo, 409,
        "pod " + pod + " is already bound to node " + boundTo + "; not binding it to " + wanted);
  }

  public static BindResult uidChanged(PodKey pod, String node, String detail) {
    return new BindResult(
        Outcome.UID_CHANGED, pod, node, 409,
        "pod " + pod + " was deleted and recreated (its UID is no longer " + pod.uid()
            + "); not binding the new pod with the old one's decision: " + detail);
  }

  public static BindResult apiError(PodKey pod, String node, int httpStatus, String detail) {
    return new BindResult(
        Outcome.API_ERROR, pod, node, httpStatus,
        "binding pod " + pod + " to node " + node + " failed"
            + (httpStatus == 0 ? " (no answer from the API server)" : " (HTTP " + httpStatus + ")")
            + ": " + detail);
  }

  public boolean ok() {
    return outcome == Outcome.BOUND;
  }

  /**
   * True when the API server may have stored the binding even though no success came back: no
   * answer at all (a timeout, a dropped connection) or a server-side error.
   */
  public boolean inDoubt() {
    return outcome == Outcome.API_ERROR && (httpStatus == 0 || httpStatus >= 500);
  }

  /** "" when bound, else the message: what kube-scheduler's {@code ExtenderBindingResult.Error} wants. */
  public String errorOrEmpty() {
    return ok() ? "" : message;
  }
}
