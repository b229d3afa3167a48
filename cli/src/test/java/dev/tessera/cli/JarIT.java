package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.console.testing.TableAccess;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as users run it: main class, manifest and bundled dependencies, in a JVM of its
 * own. The other tests run the commands on the test classpath, which has every fabric8 model;
 * the jar leaves most of them out (see cli/pom.xml), so a command that needs one of those fails
 * only here. Failsafe runs this after {@code package} has built the jar.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JarIT {
  private Path jar;
  private EmbeddedApiServer api;

  @BeforeAll
  void start() {
    String property = System.getProperty("tessera.cli.jar");
    assumeTrue(property != null, "tessera.cli.jar is not set: run mvn -pl cli verify, which builds the jar first");
    jar = Path.of(property);
    assertTrue(Files.isRegularFile(jar), jar + " was not built");
    api = EmbeddedApiServer.start();
    TestProjects.create(api.client(), "ml");
  }

  @AfterAll
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void theShadedJarPrintsItsHelp() throws Exception {
    String output = tessera("--help");
    assertTrue(output.contains("Usage: tessera"), output);
    for (String command : new String[] {"submit", "list", "describe", "logs", "connect", "stop", "run", "copy", "delete"}) {
      assertTrue(output.contains(command), () -> command + " missing from\n" + output);
    }
  }

  @Test
  void theShadedJarManagesWorkloadsOnAnApiServer(@TempDir Path dir) throws Exception {
    assertTrue(tessera("submit", "trn", "resnet", "-p", "ml", "--image", "pytorch:24.05", "--gpu-fraction",
        "0.5", "--port", "tb:6006", "--", "python", "train.py").contains("'resnet' submitted"));
    // The value syntax of tessera-api: a Prometheus series selector and a duration.
    assertTrue(tessera("submit", "inf", "llm", "-p", "ml", "--image", "vllm/vllm-openai", "--gpu-fraction",
        "0.25", "--port", "http:8000", "--min-replicas", "1", "--max-replicas", "3", "--autoscale-metric",
        "requests-per-second", "--autoscale-target", "5", "--scale-down-after", "5m", "--metrics-series",
        "http_requests_total{code=\"200\"}").contains("'llm' submitted"));
    Path manifest = dir.resolve("workspace.yaml");
    Files.writeString(manifest, """
        apiVersion: tessera.dev/v1alpha1
        kind: Workspace
        metadata: {name: notebook, namespace: ml}
        spec:
          image: jupyter/base-notebook
          gpu: {fraction: 0.5}
          connections: [{name: jupyter, port: 8888}]
        """);
    assertTrue(tessera("submit", "-f", manifest.toString()).contains("'notebook' submitted"));

    String wide = tessera("list", "-A", "-o", "wide");
    assertTrue(wide.contains("resnet") && wide.contains("llm") && wide.contains("notebook") && wide.contains("CONNECTIONS"),
        wide);
    assertTrue(tessera("list", "-p", "ml", "-o", "json").contains("\"name\" : \"llm\""));
    assertTrue(tessera("describe", "trn", "resnet", "-p", "ml").contains("pytorch:24.05"));
    tessera("stop", "trn", "resnet", "-p", "ml");
    tessera("run", "trn", "resnet", "-p", "ml");
    tessera("copy", "trn", "resnet", "resnet-lr2", "-p", "ml", "-e", "LR=0.2");
    tessera("delete", "trn", "resnet-lr2", "-p", "ml");
    assertFalse(tessera("list", "-p", "ml").contains("resnet-lr2"));
  }

  @Test
  void theShadedJarReadsAConsole() throws Exception {
    TrainingResource training = new TrainingResource();
    training.setMetadata(new ObjectMetaBuilder().withNamespace("ml").withName("from-console")
        .withAnnotations(Map.of(WellKnown.CREATED_BY_ANNOTATION, "alice")).build());
    training.setSpec(new WorkloadSpec("pytorch:24.08", null, null, null, null, null, null, null, null, null, null,
        null, null, null, null));
    api.client().resource(training).create();
    TableAccess access = new TableAccess(Map.of("alice-token", "alice"),
        Map.of("alice", Map.of("ml", Set.of("get", "list", "watch"))));
    try (TestConsole console = TestConsole.start(api.client(), access)) {
      console.await("the training", () -> console.runtime.catalog()
          .row("ml", WorkloadKind.TRAINING, "from-console").isPresent());
      // One run (each starts a JVM): the HTTP client, the console's rows read and written as JSON.
      String list = tessera("list", "-p", "ml", "-o", "json", "--console", console.url(), "--token", "alice-token");
      assertTrue(list.contains("\"createdBy\" : \"alice\""), list);
    }
  }

  /** Runs {@code java -jar tessera.jar COMMAND --server=URL ARGS...}, which must succeed; returns its output. */
  private String tessera(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), args[0]));
    if (!args[0].startsWith("-")) {
      command.add("--server=" + api.url()); // before the arguments, which may end in "-- COMMAND..."
    }
    command.addAll(List.of(args).subList(1, args.length));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // The Kubernetes API alone, whatever console the machine running the tests may name.
    builder.environment().remove(ConsoleOptions.CONSOLE_ENV);
    builder.environment().remove(ConsoleOptions.TOKEN_ENV);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), () -> command + " did not exit");
    assertEquals(0, process.exitValue(), () -> command + "\n" + output);
    assertFalse(output.contains("NoClassDefFoundError") || output.contains("ClassNotFoundException"), output);
    return output;
  }
}
