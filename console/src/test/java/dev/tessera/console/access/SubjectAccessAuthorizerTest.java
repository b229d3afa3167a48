package dev.tessera.console.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.testing.MutableClock;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The authorizer against an API server whose RBAC lets group "ml" patch trainings in namespace
 * team-a, says "broken" in namespace team-c cannot be fully evaluated, and allows nothing else.
 */
class SubjectAccessAuthorizerTest {
  private static final String PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
  private static final String ALLOWED = "RBAC: allowed by RoleBinding \"tessera-researcher/team-a\" of ClusterRole"
      + " \"tessera-researcher\" to Group \"ml\"";

  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
  private final List<SubjectAccessReview> reviewed = Collections.synchronizedList(new ArrayList<>());
  private final Caller alice = new Caller("alice", List.of("system:authenticated", "ml"));
  private EmbeddedApiServer api;

  @BeforeEach
  void setUp() {
    api = EmbeddedApiServer.start();
  }

  @AfterEach
  void tearDown() {
    api.close();
  }

  /** Answers as the class comment says, from now on. */
  private void reviewing() {
    api.expect().post().withPath(PATH).andReply(201, request -> {
      SubjectAccessReview review = Serialization.unmarshal(request.getBody().readUtf8(), SubjectAccessReview.class);
      reviewed.add(review);
      ResourceAttributes asked = review.getSpec().getResourceAttributes();
      boolean ml = review.getSpec().getGroups().contains("ml");
      SubjectAccessReviewBuilder answer = new SubjectAccessReviewBuilder(review);
      if (asked.getNamespace().equals("team-c")) {
        return answer.withNewStatus().withAllowed(false).withEvaluationError("clusterrole.rbac.authorization.k8s.io"
            + " \"gone\" not found").endStatus().build();
      }
      if (ml && asked.getNamespace().equals("team-a") && asked.getVerb().equals("patch")
          && asked.getResource().equals("trainings") && asked.getGroup().equals("tessera.dev")) {
        return answer.withNewStatus().withAllowed(true).withReason(ALLOWED).endStatus().build();
      }
      return answer.withNewStatus().withAllowed(false).endStatus().build();
    }).always();
  }

  @Test
  void theReviewAsksAboutTheCallersUserGroupsAndThePermission() {
    reviewing();
    new SubjectAccessAuthorizer(api.client(), clock).check(alice, Permission.podLogs("team-a"));
    SubjectAccessReview review = reviewed.get(0);
    assertEquals("alice", review.getSpec().getUser());
    assertEquals(List.of("ml", "system:authenticated"), review.getSpec().getGroups());
    ResourceAttributes attributes = review.getSpec().getResourceAttributes();
    assertEquals(List.of("get", "", "pods", "log", "team-a"), List.of(attributes.getVerb(), attributes.getGroup(),
        attributes.getResource(), attributes.getSubresource(), attributes.getNamespace()));
  }

  @Test
  void anAllowedDecisionCarriesRbacsReason() {
    reviewing();
    Decision decision = new SubjectAccessAuthorizer(api.client(), clock)
        .check(alice, Permission.tessera("patch", "trainings", "team-a"));
    assertEquals(Decision.allow(ALLOWED), decision);
  }

  @Test
  void aDenialWithoutReasonSaysWhatWasAsked() {
    reviewing();
    Decision decision = new SubjectAccessAuthorizer(api.client(), clock)
        .check(alice, Permission.tessera("patch", "trainings", "team-b"));
    assertEquals(Decision.deny("no RBAC rule lets alice patch trainings.tessera.dev in namespace team-b"), decision);
  }

  @Test
  void anAnswerIsRememberedForTheTtlWhateverTheOrderOfTheGroups() {
    reviewing();
    SubjectAccessAuthorizer authorizer = new SubjectAccessAuthorizer(api.client(), clock, Duration.ofSeconds(5), 100);
    Permission patch = Permission.tessera("patch", "trainings", "team-a");
    authorizer.check(alice, patch);
    clock.advance(Duration.ofMillis(4999));
    assertTrue(authorizer.check(new Caller("alice", List.of("ml", "system:authenticated")), patch).allowed());
    assertEquals(1, reviewed.size(), "the same question within the TTL");
    clock.advance(Duration.ofMillis(1));
    authorizer.check(alice, patch);
    assertEquals(2, reviewed.size(), "asked again after the TTL");
  }

  @Test
  void anotherPermissionOrAnotherCallerIsAnotherQuestion() {
    reviewing();
    SubjectAccessAuthorizer authorizer = new SubjectAccessAuthorizer(api.client(), clock);
    Permission patch = Permission.tessera("patch", "trainings", "team-a");
    assertTrue(authorizer.check(alice, patch).allowed());
    assertFalse(authorizer.check(new Caller("alice", List.of("system:authenticated")), patch).allowed());
    assertFalse(authorizer.check(alice, Permission.tessera("delete", "trainings", "team-a")).allowed());
    assertTrue(authorizer.check(new Caller("bob", alice.groups()), patch).allowed(), "bob is in ml too");
    assertEquals(4, reviewed.size());
  }

  @Test
  void theAnswersRememberedAreBounded() {
    reviewing();
    SubjectAccessAuthorizer authorizer = new SubjectAccessAuthorizer(api.client(), clock, Duration.ofSeconds(5), 1);
    Permission a = Permission.tessera("patch", "trainings", "team-a");
    Permission b = Permission.tessera("get", "trainings", "team-a");
    authorizer.check(alice, a);
    authorizer.check(alice, b);
    authorizer.check(alice, a);
    assertEquals(3, reviewed.size(), "one answer remembered at most");
  }

  @Test
  void aDenialWithAnEvaluationErrorSaysSoAndIsNotRemembered() {
    reviewing();
    SubjectAccessAuthorizer authorizer = new SubjectAccessAuthorizer(api.client(), clock);
    Permission get = Permission.tessera("get", "trainings", "team-c");
    Decision decision = authorizer.check(alice, get);
    assertEquals(Decision.deny("no RBAC rule lets alice get trainings.tessera.dev in namespace team-c (the API server"
        + " could not evaluate every rule: clusterrole.rbac.authorization.k8s.io \"gone\" not found)"), decision);
    authorizer.check(alice, get);
    assertEquals(2, reviewed.size());
  }

  @Test
  void anApiServerThatRefusesTheReviewMakesAccessUnavailable() {
    api.expect().post().withPath(PATH).andReturn(403, new StatusBuilder().withCode(403)
        .withMessage("subjectaccessreviews.authorization.k8s.io is forbidden").build()).always();
    AccessUnavailableException e = assertThrows(AccessUnavailableException.class,
        () -> new SubjectAccessAuthorizer(api.client(), clock).check(alice, Permission.podLogs("team-a")));
    assertEquals("the API server could not decide whether alice may get pods/log in namespace team-a:"
        + " subjectaccessreviews.authorization.k8s.io is forbidden", e.getMessage());
  }

  @Test
  void anApiServerThatDoesNotAnswerMakesAccessUnavailable() throws Exception {
    try (ServerSocket silent = new ServerSocket(0);
        KubernetesClient client = TokenReviewAuthenticatorTest.clientOf(silent)) {
      SubjectAccessAuthorizer authorizer = new SubjectAccessAuthorizer(client, clock);
      assertThrows(AccessUnavailableException.class, () -> authorizer.check(alice, Permission.podLogs("team-a")));
    }
  }
}
