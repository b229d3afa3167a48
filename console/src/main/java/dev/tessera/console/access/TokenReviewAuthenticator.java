package dev.tessera.console.access;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Asks the API server who a bearer token belongs to (a TokenReview, authentication.k8s.io/v1), so
 * the console accepts exactly the tokens the cluster does: ServiceAccount tokens, OIDC tokens,
 * whatever authenticators the API server runs. The console's own account needs {@code create} on
 * {@code tokenreviews} (deploy/75-console-rbac.yaml).
 *
 * <p>An accepted token is remembered for a short time, so a page of requests costs one review:
 * under a SHA-256 digest of the token (the token itself is never kept), for {@link #DEFAULT_TTL} or
 * until the expiry a JWT claims, whichever comes first. A token revoked meanwhile is still accepted
 * until then. Rejected tokens are not remembered.
 */
public final class TokenReviewAuthenticator implements Authenticator {
  /** How long an accepted token is trusted without asking again. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(1);

  /** How many accepted tokens are remembered at most. */
  public static final int DEFAULT_CAPACITY = 10_000;

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration ttl;
  private final ExpiringCache<String, Caller> accepted;
  private final JwtExpiry expiry = new JwtExpiry();

  /**
   * @param client a client of the API server, as the console's own account; give it a short request
   *     timeout and few retries: a caller waits for the review
   */
  public TokenReviewAuthenticator(KubernetesClient client, Clock clock) {
    this(client, clock, DEFAULT_TTL, DEFAULT_CAPACITY);
  }

  public TokenReviewAuthenticator(KubernetesClient client, Clock clock, Duration ttl, int capacity) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
    this.ttl = ttl;
    this.accepted = new ExpiringCache<>(clock, capacity);
  }

  @Override
  public Caller authenticate(String bearerToken) {
    if (bearerToken == null || bearerToken.isBlank()) {
      throw new UnauthenticatedException("no bearer token");
    }
    String digest = digest(bearerToken);
    Optional<Caller> known = accepted.get(digest);
    if (known.isPresent()) {
      return known.get();
    }
    Caller caller = review(bearerToken);
    Instant until = clock.instant().plus(ttl);
    Instant claimed = expiry.of(bearerToken).orElse(until);
    accepted.put(digest, caller, claimed.isBefore(until) ? claimed : until);
    return caller;
  }

  private Caller review(String token) {
    TokenReview review = new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build();
    TokenReview answer;
    try {
      answer = client.authentication().v1().tokenReviews().create(review);
    } catch (KubernetesClientException e) {
      throw new AccessUnavailableException("the API server could not review the token: " + ApiErrors.describe(e), e);
    }
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    UserInfo user = status == null ? null : status.getUser();
    if (status == null
        || !Boolean.TRUE.equals(status.getAuthenticated())
        || user == null
        || user.getUsername() == null
        || user.getUsername().isEmpty()) {
      String error = status == null ? null : status.getError();
      throw new UnauthenticatedException(
          error == null || error.isBlank()
              ? "the API server does not accept the token"
              : "the API server does not accept the token: " + error);
    }
    return new Caller(user.getUsername(), user.getGroups());
  }

  private static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
