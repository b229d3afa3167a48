package dev.tessera.console.access;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Asks the API server whether a caller may do something (a SubjectAccessReview,
 * authorization.k8s.io/v1, with the caller's user, groups and the permission's resource
 * attributes), so the console allows exactly what the cluster's RBAC allows. The console's own
 * account needs {@code create} on {@code subjectaccessreviews} (deploy/75-console-rbac.yaml).
 *
 * <p>Answers are remembered for {@link #DEFAULT_TTL} per user, groups and permission, so a table
 * that checks every row costs one review per distinct question; a role granted or taken away
 * shows after at most that long. An answer the API server gave with an evaluation error (a role it
 * could not read) is not remembered.
 */
public final class SubjectAccessAuthorizer implements Authorizer {
  /** How long an answer stands without asking again. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);

  /** How many answers are remembered at most. */
  public static final int DEFAULT_CAPACITY = 10_000;

  /** One question: groups sorted, as the answer does not depend on their order. */
  private record Question(String user, List<String> groups, Permission permission) {
    static Question of(Caller caller, Permission permission) {
      return new Question(caller.user(), caller.groups().stream().sorted().toList(), permission);
    }
  }

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration ttl;
  private final ExpiringCache<Question, Decision> answers;

  /**
   * @param client a client of the API server, as the console's own account; give it a short request
   *     timeout and few retries: a caller waits for the review
   */
  public SubjectAccessAuthorizer(KubernetesClient client, Clock clock) {
    this(client, clock, DEFAULT_TTL, DEFAULT_CAPACITY);
  }

  public SubjectAccessAuthorizer(KubernetesClient client, Clock clock, Duration ttl, int capacity) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
    this.ttl = ttl;
    this.answers = new ExpiringCache<>(clock, capacity);
  }

  @Override
  public Decision check(Caller caller, Permission permission) {
    Question question = Question.of(caller, permission);
    Optional<Decision> known = answers.get(question);
    if (known.isPresent()) {
      return known.get();
    }
    SubjectAccessReviewStatus status = review(question);
    boolean allowed = Boolean.TRUE.equals(status.getAllowed());
    String reason = status.getReason() == null ? "" : status.getReason();
    String error = status.getEvaluationError() == null ? "" : status.getEvaluationError();
    if (!allowed && reason.isEmpty()) {
      reason = Denials.noRuleAllows(caller, permission);
    }
    if (!allowed && !error.isEmpty()) {
      reason = reason + " (the API server could not evaluate every rule: " + error + ")";
    }
    Decision decision = new Decision(allowed, reason);
    if (error.isEmpty()) {
      answers.put(question, decision, clock.instant().plus(ttl));
    }
    return decision;
  }

  private SubjectAccessReviewStatus review(Question question) {
    Permission p = question.permission();
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(question.user())
            .withGroups(question.groups())
            .withNewResourceAttributes()
            .withVerb(p.verb())
            .withGroup(p.group())
            .withResource(p.resource())
            .withSubresource(p.subresource())
            .withNamespace(p.namespace())
            .endResourceAttributes()
            .endSpec()
            .build();
    SubjectAccessReview answer;
    try {
      answer = client.authorization().v1().subjectAccessReview().create(review);
    } catch (KubernetesClientException e) {
      throw new AccessUnavailableException(
          "the API server could not decide whether " + question.user() + " may " + p.describe() + ": "
              + ApiErrors.describe(e),
          e);
    }
    if (answer == null || answer.getStatus() == null) {
      throw new AccessUnavailableException(
          "the API server answered a SubjectAccessReview without a status", null);
    }
    return answer.getStatus();
  }
}
