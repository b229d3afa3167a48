package dev.tessera.console.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The authenticator against an API server that knows two tokens: "alice-token" (alice, groups
 * ml and system:authenticated) and a JWT of bob's; any other it rejects with an error.
 */
class TokenReviewAuthenticatorTest {
  private static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
  private final List<String> reviewed = Collections.synchronizedList(new ArrayList<>());
  private EmbeddedApiServer api;
  private String bobJwt;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
    bobJwt = jwt(Map.of("sub", "bob", "exp", clock.instant().plusSeconds(20).getEpochSecond()));
  }

  /** Reviews tokens as the class comment says, from now on. */
  private void reviewing() {
    api.expect().post().withPath(PATH).andReply(201, request -> {
      TokenReview review = Serialization.unmarshal(request.getBody().readUtf8(), TokenReview.class);
      String token = review.getSpec().getToken();
      reviewed.add(token);
      if (token.equals("alice-token")) {
        return accepted(review, "alice", List.of("ml", "system:authenticated"));
      }
      if (token.equals(bobJwt)) {
        return accepted(review, "bob", List.of("system:authenticated"));
      }
      if (token.equals("silent")) {
        return new TokenReviewBuilder(review).withNewStatus().withAuthenticated(false).endStatus().build();
      }
      return new TokenReviewBuilder(review).withNewStatus().withAuthenticated(false)
          .withError("[invalid bearer token, token lookup failed]").endStatus().build();
    }).always();
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  private static TokenReview accepted(TokenReview review, String user, List<String> groups) {
    return new TokenReviewBuilder(review).withNewStatus().withAuthenticated(true)
        .withNewUser().withUsername(user).withGroups(groups).endUser().endStatus().build();
  }

  @Test
  void anAcceptedTokenIsItsUserWithTheirGroups() {
    reviewing();
    Caller caller = new TokenReviewAuthenticator(api.client(), clock).authenticate("alice-token");
    assertEquals(new Caller("alice", List.of("ml", "system:authenticated")), caller);
    assertEquals(List.of("alice-token"), reviewed, "the token the API server reviewed");
  }

  @Test
  void anAcceptedTokenIsReviewedAgainOnlyAfterTheTtl() {
    reviewing();
    TokenReviewAuthenticator authenticator =
        new TokenReviewAuthenticator(api.client(), clock, Duration.ofSeconds(60), 100);
    authenticator.authenticate("alice-token");
    clock.advance(Duration.ofSeconds(59));
    assertEquals("alice", authenticator.authenticate("alice-token").user());
    assertEquals(1, reviewed.size(), "remembered for the TTL");
    clock.advance(Duration.ofSeconds(1));
    assertEquals("alice", authenticator.authenticate("alice-token").user());
    assertEquals(2, reviewed.size(), "reviewed again once the TTL is over");
  }

  @Test
  void aJwtIsRememberedNoLongerThanItsExpiry() {
    reviewing();
    TokenReviewAuthenticator authenticator =
        new TokenReviewAuthenticator(api.client(), clock, Duration.ofSeconds(60), 100);
    authenticator.authenticate(bobJwt);
    clock.advance(Duration.ofSeconds(19));
    authenticator.authenticate(bobJwt);
    assertEquals(1, reviewed.size());
    clock.advance(Duration.ofSeconds(1));
    authenticator.authenticate(bobJwt);
    assertEquals(2, reviewed.size(), "the token expired at 20 s: the API server decides again");
  }

  @Test
  void aRejectedTokenIsUnauthenticatedWithTheApiServersErrorAndIsAskedAgainEveryTime() {
    reviewing();
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(api.client(), clock);
    UnauthenticatedException e =
        assertThrows(UnauthenticatedException.class, () -> authenticator.authenticate("garbage"));
    assertEquals("the API server does not accept the token: [invalid bearer token, token lookup failed]",
        e.getMessage());
    assertThrows(UnauthenticatedException.class, () -> authenticator.authenticate("garbage"));
    assertEquals(2, reviewed.size(), "rejections are not remembered");
  }

  @Test
  void aRejectionWithoutAnErrorStillSaysTheTokenIsNotAccepted() {
    reviewing();
    UnauthenticatedException e = assertThrows(UnauthenticatedException.class,
        () -> new TokenReviewAuthenticator(api.client(), clock).authenticate("silent"));
    assertEquals("the API server does not accept the token", e.getMessage());
  }

  @Test
  void anEmptyTokenIsUnauthenticatedWithoutAsking() {
    reviewing();
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(api.client(), clock);
    assertThrows(UnauthenticatedException.class, () -> authenticator.authenticate(" "));
    assertTrue(reviewed.isEmpty());
  }

  @Test
  void theTokensRememberedAreBounded() {
    reviewing();
    TokenReviewAuthenticator authenticator =
        new TokenReviewAuthenticator(api.client(), clock, Duration.ofSeconds(60), 1);
    authenticator.authenticate("alice-token");
    authenticator.authenticate(bobJwt);
    authenticator.authenticate("alice-token");
    assertEquals(List.of("alice-token", bobJwt, "alice-token"), reviewed, "one token remembered at most");
  }

  @Test
  void anApiServerThatRefusesTheReviewMakesAccessUnavailable() {
    api.expect().post().withPath(PATH).andReturn(403, new StatusBuilder().withCode(403)
        .withMessage("tokenreviews.authentication.k8s.io is forbidden: User \"system:serviceaccount:tessera-system:x\"")
        .build()).always();
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(api.client(), clock);
    AccessUnavailableException e =
        assertThrows(AccessUnavailableException.class, () -> authenticator.authenticate("alice-token"));
    assertEquals("the API server could not review the token: tokenreviews.authentication.k8s.io is forbidden:"
        + " User \"system:serviceaccount:tessera-system:x\"", e.getMessage());
  }

  @Test
  void anApiServerThatDoesNotAnswerMakesAccessUnavailable() throws Exception {
    try (ServerSocket silent = new ServerSocket(0); KubernetesClient client = clientOf(silent)) {
      TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(client, clock);
      AccessUnavailableException e =
          assertThrows(AccessUnavailableException.class, () -> authenticator.authenticate("alice-token"));
      assertTrue(e.getMessage().startsWith("the API server could not review the token: "), e.getMessage());
    }
  }

  /**
   * A client of a socket that takes connections and never answers, giving up after half a second
   * without retrying.
   */
  static KubernetesClient clientOf(ServerSocket silent) {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl("http://127.0.0.1:" + silent.getLocalPort())
        .withRequestRetryBackoffLimit(0).withRequestTimeout(500).withConnectionTimeout(500).build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private static String jwt(Map<String, Object> claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(Serialization.asJson(claims).getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
  }
}
