package dev.tessera.extender.actions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.ledger.Fixtures;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.model.PodKey;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded API server answers bindings as kube-apiserver does, status codes and messages included. */
class BindingAwareCrudDispatcherTest {
  private static EmbeddedApiServer api;
  private static KubernetesClient client;

  @BeforeAll
  static void startApi() {
    api = EmbeddedApiServer.start();
    client = api.client();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @Test
  void aSuccessfulBindingAnswers201WithAStatus() {
    PodKey pod = create("ok");
    String answer = client.raw(Binder.bindingPath(pod), "POST", Binder.binding(pod, "n1", null));
    assertTrue(answer.contains("\"status\":\"Success\""), answer);
  }

  @Test
  void theNameInTheUrlMustMatchTheBinding() {
    PodKey pod = create("named");
    Binding other = Binder.binding(new PodKey(pod.namespace(), "someone-else", pod.uid()), "n1", null);
    KubernetesClientException e =
        assertThrows(KubernetesClientException.class, () -> client.raw(Binder.bindingPath(pod), "POST", other));
    assertEquals(400, e.getCode());
    assertNull(get(pod).getSpec().getNodeName());
  }

  @Test
  void aTargetIsRequired() {
    PodKey pod = create("no-target");
    Binding binding = Binder.binding(pod, "n1", null);
    binding.getTarget().setName(null);
    KubernetesClientException e =
        assertThrows(KubernetesClientException.class, () -> client.raw(Binder.bindingPath(pod), "POST", binding));
    assertEquals(422, e.getCode());
  }

  @Test
  void aPodBeingDeletedCannotBeBound() {
    Pod withFinalizer = Fixtures.pod("dispatch", "finalized").obj();
    withFinalizer.getMetadata().setFinalizers(java.util.List.of("test/hold"));
    PodKey pod = PodRequests.keyOf(client.pods().resource(withFinalizer).create());
    client.pods().inNamespace(pod.namespace()).withName(pod.name()).delete();
    Pod terminating = get(pod);
    assertNotNull(terminating, "the finalizer keeps the pod");
    assertNotNull(terminating.getMetadata().getDeletionTimestamp());

    BindResult result = new Binder(client).bind(pod, "n1", null);

    assertEquals(BindResult.Outcome.API_ERROR, result.outcome());
    assertEquals(409, result.httpStatus());
    assertTrue(result.message().contains("is being deleted"), result.message());
  }

  @Test
  void theConflictMessagesAreTheApiServers() {
    PodKey pod = create("conflict");
    client.raw(Binder.bindingPath(pod), "POST", Binder.binding(pod, "n1", null));
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () -> client.raw(Binder.bindingPath(pod), "POST", Binder.binding(pod, "n2", null)));
    assertEquals(409, e.getCode());
    assertEquals(
        "Operation cannot be fulfilled on pods/binding \"conflict\": pod conflict is already assigned to node \"n1\"",
        e.getStatus().getMessage());
  }

  private static PodKey create(String name) {
    return PodRequests.keyOf(client.pods().resource(Fixtures.pod("dispatch", name).obj()).create());
  }

  private static Pod get(PodKey pod) {
    return client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
  }
}
