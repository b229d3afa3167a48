package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code tessera logs KIND NAME} against the in-process API server. Its CRUD store serves no
 * pods/log, so each test sets up the answer a real API server gives: the kubelet's text, or the
 * error when it cannot reach the kubelet.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogsCommandTest {
  private static final String LOG = "/api/v1/namespaces/logs/pods/";
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeAll
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    TestProjects.create(client, "logs");
  }

  @AfterAll
  void stop() {
    api.close();
  }

  private CliRun.Result tessera(String... args) {
    return CliRun.against(api.url(), Clock.systemUTC(), args);
  }

  /** A training with one ready pod on a node (ready, so fabric8 does not wait for it first). */
  private void trainingWithPod(String name, String node) {
    assertEquals(0, tessera("submit", "trn", name, "-p", "logs", "--image", "x").exit());
    client.pods().inNamespace("logs").resource(new PodBuilder()
        .withNewMetadata().withName(name + "-0")
        .addToLabels(Workloads.WORKLOAD_LABEL, name).addToLabels(Workloads.KIND_LABEL, "training").endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("main").withImage("x").endContainer().endSpec()
        .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True").endCondition()
        .endStatus()
        .build()).create();
  }

  @Test
  void printsThePodsLogAndItsTail() {
    trainingWithPod("job", "gpu-1");
    api.expect().get().withPath(LOG + "job-0/log?pretty=false")
        .andReturn(200, "epoch 1 loss 0.91\nepoch 2 loss 0.57\n").always();
    api.expect().get().withPath(LOG + "job-0/log?pretty=false&tailLines=1")
        .andReturn(200, "epoch 2 loss 0.57\n").always();

    CliRun.Result log = tessera("logs", "trn", "job", "-p", "logs");
    assertEquals(0, log.exit(), log::toString);
    assertEquals("epoch 1 loss 0.91\nepoch 2 loss 0.57\n", log.out());
    CliRun.Result tail = tessera("logs", "training", "job", "--tail", "1", "-p", "logs");
    assertEquals("epoch 2 loss 0.57\n", tail.out(), tail::toString);
  }

  @Test
  void followStreamsUntilTheServerEndsTheLog() {
    trainingWithPod("follow", "gpu-1");
    api.expect().get().withPath(LOG + "follow-0/log?pretty=false&follow=true")
        .andReturn(200, "step 1\n{\"level\":\"info\",\"msg\":\"structured\"}\nstep 3\n").always();
    CliRun.Result result = tessera("logs", "trn", "follow", "-f", "-p", "logs");
    assertEquals(0, result.exit(), result::toString);
    assertEquals("step 1\n{\"level\":\"info\",\"msg\":\"structured\"}\nstep 3\n", result.out());
  }

  @Test
  void anUnreachableKubeletIsNamedWithPodAndNode() {
    trainingWithPod("far", "gpu-7");
    String status = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Get"
        + " \\\"https://gpu-7:10250/containerLogs/logs/far-0/main\\\": no preferred addresses found; known"
        + " addresses: []\",\"code\":500}";
    api.expect().get().withPath(LOG + "far-0/log?pretty=false").andReturn(500, status).always();
    api.expect().get().withPath(LOG + "far-0/log?pretty=false&follow=true").andReturn(500, status).always();

    for (String[] args : new String[][] {{"logs", "trn", "far", "-p", "logs"},
        {"logs", "trn", "far", "--follow", "-p", "logs"}}) {
      CliRun.Result result = tessera(args);
      assertEquals(1, result.exit(), result::toString);
      assertTrue(result.err().contains("tessera: cannot read the log of pod 'far-0': the API server could not reach"
          + " the kubelet of node 'gpu-7' (HTTP 500: Get"), result::toString);
      assertTrue(result.err().contains("no preferred addresses found"), result::toString);
      assertEquals("", result.out(), result::toString);
    }
  }

  @Test
  void anObjectInsteadOfALogIsNoLog() {
    trainingWithPod("demo", "gpu-1");
    // What a CRUD-only server answers for pods/log: the pod itself.
    String pod = client.getKubernetesSerialization().asJson(client.pods().inNamespace("logs").withName("demo-0").get());
    api.expect().get().withPath(LOG + "demo-0/log?pretty=false").andReturn(200, pod).always();
    api.expect().get().withPath(LOG + "demo-0/log?pretty=false&follow=true").andReturn(200, pod).always();
    for (String[] args : new String[][] {{"logs", "trn", "demo", "-p", "logs"},
        {"logs", "trn", "demo", "-f", "-p", "logs"}}) {
      CliRun.Result result = tessera(args);
      assertEquals(1, result.exit(), result::toString);
      assertTrue(result.err().contains("the API server returned no log for pod 'demo-0' but a Pod object"),
          result::toString);
      assertFalse(result.out().contains("demo-0"), result::toString);
    }
  }

  @Test
  void kindNameAndPodAreChecked() {
    CliRun.Result noKind = tessera("logs", "job", "-p", "logs");
    assertEquals(2, noKind.exit(), noKind::toString);
    assertTrue(noKind.err().contains("KIND must be workspace (ws)"), noKind::toString);

    CliRun.Result ghost = tessera("logs", "trn", "ghost", "-p", "logs");
    assertEquals(1, ghost.exit(), ghost::toString);
    assertTrue(ghost.err().contains("training 'ghost' not found in project 'logs'"), ghost::toString);

    assertEquals(0, tessera("submit", "trn", "podless", "-p", "logs", "--image", "x").exit());
    CliRun.Result none = tessera("logs", "trn", "podless", "-p", "logs");
    assertEquals(1, none.exit(), none::toString);
    assertTrue(none.err().contains("training 'podless' has no pods in project 'logs' yet"), none::toString);

    trainingWithPod("picky", "gpu-1");
    CliRun.Result wrongPod = tessera("logs", "trn", "picky", "--pod", "picky-9", "-p", "logs");
    assertEquals(2, wrongPod.exit(), wrongPod::toString);
    assertTrue(wrongPod.err().contains("--pod picky-9 is not a pod of training 'picky'; its pods: picky-0"),
        wrongPod::toString);
    assertEquals(2, tessera("logs", "trn", "picky", "--tail", "-1", "-p", "logs").exit());
  }
}
