package dev.tessera.mockapi;

import java.util.Objects;
import java.util.Set;

/**
 * An admission webhook as {@link EmbeddedApiServer} calls it: what a {@code
 * MutatingWebhookConfiguration} or {@code ValidatingWebhookConfiguration} entry says (its name, its
 * rule), with the HTTPS call replaced by a Java call that takes and answers the same {@code
 * admission.k8s.io/v1} AdmissionReview JSON the API server sends and reads. So the code that serves
 * the webhook in a cluster is the code the in-process server calls.
 *
 * <p>As with {@code sideEffects: None} and {@code failurePolicy: Fail}: it is called for dry runs
 * too, and a reviewer that throws or answers something unreadable fails the request with 500.
 *
 * @param name the webhook's name, which the API server puts in its denials ("admission webhook
 *     \"NAME\" denied the request: ...")
 * @param type whether it may change the object (called first, in registration order) or only
 *     judge it (called after every mutating one, on the final object)
 * @param rule the requests it is called for
 * @param reviewer answers an AdmissionReview
 */
public record Webhook(String name, Type type, Rule rule, Reviewer reviewer) {
  public Webhook {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a webhook needs a name");
    }
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(reviewer, "reviewer");
  }

  /** A webhook that may answer with a JSONPatch. */
  public static Webhook mutating(String name, Rule rule, Reviewer reviewer) {
    return new Webhook(name, Type.MUTATING, rule, reviewer);
  }

  /** A webhook that allows or denies, after the mutating ones. */
  public static Webhook validating(String name, Rule rule, Reviewer reviewer) {
    return new Webhook(name, Type.VALIDATING, rule, reviewer);
  }

  public enum Type {
    MUTATING,
    VALIDATING
  }

  /** The operations this server calls webhooks for; deletes and connects are not reviewed. */
  public enum Operation {
    CREATE,
    UPDATE
  }

  /**
   * One rule of a webhook configuration, for namespaced or cluster-scoped resources alike.
   *
   * @param apiGroup the API group, "" for the core group
   * @param apiVersion the version, or {@code *} for any
   * @param resources plural resource names; a subresource ({@code trainings/status}) is never
   *     matched, as a real rule without it does not match it
   * @param operations the operations it is called for
   */
  public record Rule(String apiGroup, String apiVersion, Set<String> resources, Set<Operation> operations) {
    public Rule {
      Objects.requireNonNull(apiGroup, "apiGroup");
      Objects.requireNonNull(apiVersion, "apiVersion");
      resources = Set.copyOf(resources);
      operations = Set.copyOf(operations);
      if (resources.isEmpty() || operations.isEmpty()) {
        throw new IllegalArgumentException("a rule names at least one resource and one operation");
      }
    }

    boolean matches(String group, String version, String resource) {
      return apiGroup.equals(group)
          && (apiVersion.equals("*") || apiVersion.equals(version))
          && resources.contains(resource);
    }

    boolean matches(Operation operation, String group, String version, String resource) {
      return operations.contains(operation) && matches(group, version, resource);
    }
  }

  /** The webhook's server, in process. */
  @FunctionalInterface
  public interface Reviewer {
    /**
     * @param admissionReview an {@code admission.k8s.io/v1} AdmissionReview with its {@code
     *     request}, JSON in UTF-8
     * @return the AdmissionReview with its {@code response}, JSON in UTF-8
     * @throws Exception when it cannot answer; the API server fails the request (failurePolicy Fail)
     */
    byte[] review(byte[] admissionReview) throws Exception;
  }
}
