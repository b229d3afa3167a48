package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project rule: -p, else the kubeconfig context's namespace, checked against the cluster's
 * Projects; never "default" by accident.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProjectRuleTest {
  private EmbeddedApiServer api;
  private KubernetesClient client;

  @BeforeAll
  void start() {
    api = EmbeddedApiServer.start();
    client = api.client();
    TestProjects.create(client, "ml");
    TestProjects.create(client, "vision", List.of("cv"));
    TestProjects.create(client, "nlp", List.of("nlp-a", "nlp-b"));
  }

  @AfterAll
  void stop() {
    api.close();
  }

  @AfterEach
  void forgetKubeconfig() {
    System.clearProperty(Config.KUBERNETES_KUBECONFIG_FILE);
  }

  private CliRun.Result tessera(String... args) {
    return CliRun.against(api.url(), java.time.Clock.systemUTC(), args);
  }

  @Test
  void withoutProjectOrContextNamespaceNothingIsSent() {
    CliRun.Result result = tessera("submit", "trn", "t1", "--image", "x");
    assertEquals(2, result.exit(), result::toString);
    assertTrue(result.err().contains("no project: pass -p PROJECT or set a namespace in your kubeconfig context"),
        result::toString);
    assertTrue(client.resources(TrainingResource.class).inNamespace("default").list().getItems().isEmpty());
    assertEquals(2, tessera("list").exit());
    assertEquals(0, tessera("list", "-A").exit(), "-A needs no project");
  }

  @Test
  void aNamespaceNoProjectClaimsIsRefusedWithTheKnownProjects() {
    CliRun.Result result = tessera("submit", "trn", "t1", "-p", "default", "--image", "x");
    assertEquals(2, result.exit(), result::toString);
    assertTrue(result.err().contains("-p default is no Tessera project's name or namespace; known projects:"
        + " ml (ml), nlp (nlp-a, nlp-b), vision (cv)"), result::toString);
    assertTrue(client.resources(TrainingResource.class).inNamespace("default").list().getItems().isEmpty());
  }

  @Test
  void aProjectsNameGivesItsNamespaceAndSoDoesTheNamespace() {
    CliRun.Result byName = tessera("submit", "trn", "by-name", "-p", "vision", "--image", "x");
    assertEquals(0, byName.exit(), byName::toString);
    assertTrue(byName.out().contains("submitted to project 'cv'"), byName::toString);
    assertNotNull(client.resources(TrainingResource.class).inNamespace("cv").withName("by-name").get());

    CliRun.Result byNamespace = tessera("submit", "trn", "by-ns", "-p", "nlp-b", "--image", "x");
    assertEquals(0, byNamespace.exit(), byNamespace::toString);
    assertNotNull(client.resources(TrainingResource.class).inNamespace("nlp-b").withName("by-ns").get());

    CliRun.Result ambiguous = tessera("list", "-p", "nlp");
    assertEquals(2, ambiguous.exit(), ambiguous::toString);
    assertTrue(ambiguous.err().contains("project 'nlp' has namespaces nlp-a, nlp-b; pass -p with one of them"),
        ambiguous::toString);
  }

  @Test
  void theKubeconfigContextsNamespaceIsTheDefaultProject(@TempDir Path dir) throws Exception {
    Path kubeconfig = kubeconfig(dir, "vision-ctx", "cv");
    System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig.toString());
    CliRun.Result result = CliRun.run("submit", "trn", "from-ctx", "--image", "x");
    assertEquals(0, result.exit(), result::toString);
    assertNotNull(client.resources(TrainingResource.class).inNamespace("cv").withName("from-ctx").get());

    System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig(dir, "plain", null).toString());
    CliRun.Result none = CliRun.run("list");
    assertEquals(2, none.exit(), none::toString);
    assertTrue(none.err().contains("no project: pass -p PROJECT"), none::toString);

    System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig(dir, "stray", "scratch").toString());
    CliRun.Result stray = CliRun.run("list");
    assertEquals(2, stray.exit(), stray::toString);
    assertTrue(stray.err().contains("the kubeconfig context's namespace 'scratch' is no Tessera project's"),
        stray::toString);
  }

  /** A kubeconfig whose current context points at the test's API server, with a namespace or none. */
  private Path kubeconfig(Path dir, String context, String namespace) throws Exception {
    Path file = dir.resolve(context + ".yaml");
    Files.writeString(file, String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: test",
        "  cluster:",
        "    server: " + api.url(),
        "users:",
        "- name: tester",
        "  user: {}",
        "contexts:",
        "- name: " + context,
        "  context:",
        "    cluster: test",
        "    user: tester",
        namespace == null ? "" : "    namespace: " + namespace,
        "current-context: " + context,
        ""));
    return file;
  }
}
