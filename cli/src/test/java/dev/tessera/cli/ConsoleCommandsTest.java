package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkspaceResource;
import dev.tessera.console.history.HistoryEvent;
import dev.tessera.console.testing.TableAccess;
import dev.tessera.mockapi.EmbeddedApiServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * list and describe with {@code --console}, against the real Workloads API started in-process on
 * the test's API server: the rows, department and creator come from the console, page by page;
 * the history from what the test records in its store; refusals read as the CLI's other errors.
 * The commands read Kubernetes through {@code --server} (no credentials), so the console's token
 * is always {@code --token} or {@code $TESSERA_TOKEN} here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleCommandsTest {
  private static final Set<String> READ = Set.of("get", "list", "watch");
  /** alice works in team-a only; bob may read team-a, team-b and team-c; dave team-d, of other controllers' workloads. */
  private static final TableAccess ACCESS = new TableAccess(
      Map.of("alice-token", "alice", "bob-token", "bob", "dave-token", "dave"),
      Map.of("alice", Map.of("team-a", READ), "bob", Map.of("team-a", READ, "team-b", READ, "team-c", READ),
          "dave", Map.of("team-d", READ)));

  /** Three hours after now, so AGE reads "3h" whenever the objects were created. */
  private final Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(3));
  private EmbeddedApiServer api;
  private KubernetesClient client;
  private TestConsole console;

  @BeforeAll
  void start() throws Exception {
    api = EmbeddedApiServer.start();
    client = api.client();
    project("team-a", "research");
    project("team-b", "vision");
    project("team-c", null);
    create(new TrainingResource(), "team-a", "bert", "alice", gpus(2), null);
    create(new WorkspaceResource(), "team-a", "notebook", "bob", new WorkloadSpec.GpuSpec(null, 0.5, null, null,
        null, null), List.of(new WorkloadSpec.Connection("jupyter", 8888, null)));
    create(new TrainingResource(), "team-a", "resnet", "alice", gpus(1), null);
    create(new TrainingResource(), "team-b", "llm", "carol", gpus(8), null);
    create(new TrainingResource(), "team-c", "solo", null, gpus(1), null);
    status(WorkloadKind.TRAINING, "team-a", "bert", "Running", 1, 1, 2.0, 2.0);
    status(WorkloadKind.WORKSPACE, "team-a", "notebook", "Pending", 0, 1, 0.5, 0.0);
    status(WorkloadKind.TRAINING, "team-a", "resnet", "Completed", 0, 1, 1.0, 0.0);
    status(WorkloadKind.TRAINING, "team-b", "llm", "Running", 1, 1, 8.0, 8.0);
    status(WorkloadKind.TRAINING, "team-c", "solo", "Pending", 0, 1, 1.0, 0.0);
    console = TestConsole.start(client, ACCESS);
    console.await("five workloads with their statuses", () -> console.runtime.catalog().live().size() == 5
        && console.runtime.catalog().row("team-c", WorkloadKind.TRAINING, "solo")
            .map(row -> row.status().equals("Pending")).orElse(false));
  }

  @AfterAll
  void stop() {
    if (console != null) {
      console.close();
    }
    api.close();
  }

  private void project(String name, String department) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(List.of(name), department, List.of(), null, true, null));
    client.resource(project).create();
  }

  private static WorkloadSpec.GpuSpec gpus(int count) {
    return new WorkloadSpec.GpuSpec(count, null, null, null, null, null);
  }

  /** A workload as admission leaves it: created-by annotated (absent for ones from before admission). */
  private void create(WorkloadResource<WorkloadSpec> workload, String namespace, String name, String createdBy,
      WorkloadSpec.GpuSpec gpu, List<WorkloadSpec.Connection> connections) {
    workload.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name)
        .withAnnotations(createdBy == null ? Map.of() : Map.of(WellKnown.CREATED_BY_ANNOTATION, createdBy)).build());
    workload.setSpec(new WorkloadSpec("pytorch:24.08", null, null, null, gpu, null, null, null, null, null, null,
        null, null, connections, null));
    client.resource(workload).create();
  }

  /** What the workload controller would write. */
  private void status(WorkloadKind kind, String namespace, String name, String phase, int running, int requested,
      double gpusRequested, double gpusAllocated) {
    WorkloadStatus status = new WorkloadStatus(phase, null, null, running, requested, gpusRequested, gpusAllocated,
        "4", "16Gi", running > 0 ? "4" : null, running > 0 ? "16Gi" : null, null, null, null, null, null, null);
    client.resources(Kinds.type(kind)).inNamespace(namespace).withName(name).editStatus(workload -> {
      workload.setStatus(status);
      return workload;
    });
  }

  private CliRun.Result tessera(String... args) {
    return tessera(Map.of(), args);
  }

  private CliRun.Result tessera(Map<String, String> environment, String... args) {
    return CliRun.against(api.url(), later, environment, args);
  }

  /** {@code tessera COMMAND --server=API --console=CONSOLE --token=TOKEN ARGS...}. */
  private CliRun.Result withConsole(String token, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add(1, "--console=" + console.url());
    all.add(2, "--token=" + token);
    return tessera(all.toArray(String[]::new));
  }

  private static CliRun.Result succeeded(CliRun.Result result) {
    assertEquals(0, result.exit(), result::toString);
    return result;
  }

  @Test
  void listReadsTheConsoleAndAddsDepartmentAndCreator() throws Exception {
    CliRun.Result wide = succeeded(withConsole("alice-token", "list", "-p", "team-a", "-o", "wide"));
    List<String> lines = wide.out().lines().toList();
    assertEquals(4, lines.size(), wide::toString);
    assertTrue(lines.get(0).matches("NAME +TYPE +PROJECT +DEPARTMENT +CREATED-BY +STATUS +PODS +GPUS +AGE +COMPLETED"
        + " +NODE-POOLS +CONNECTIONS"), wide::toString);
    assertTrue(lines.get(1).matches("bert +training +team-a +research +alice +Running +1/1 +2/2 +3h +- +- +-"),
        wide::toString);
    assertTrue(lines.get(2).matches("notebook +workspace +team-a +research +bob +Pending +0/1 +0.5/0 +3h +- +- +1"),
        wide::toString);
    assertTrue(lines.get(3).matches("resnet +training +team-a +research +alice +Completed +0/1 +1/0 +3h .*"),
        wide::toString);

    // The default table keeps its columns: the same as read from Kubernetes.
    CliRun.Result table = succeeded(withConsole("alice-token", "list", "-p", "team-a"));
    assertEquals(succeeded(tessera("list", "-p", "team-a")).out(), table.out());

    CliRun.Result json = succeeded(withConsole("alice-token", "list", "-p", "team-a", "-o", "json"));
    JsonNode rows = new ObjectMapper().readTree(json.out());
    assertEquals(3, rows.size(), json::toString);
    JsonNode bert = rows.get(0);
    assertEquals("bert", bert.path("name").asText());
    assertEquals("research", bert.path("department").asText());
    assertEquals("alice", bert.path("createdBy").asText());
    assertEquals(List.of("4", "4", "16Gi", "16Gi"), List.of(bert.path("cpuRequested").asText(),
        bert.path("cpuAllocated").asText(), bert.path("memoryRequested").asText(),
        bert.path("memoryAllocated").asText()), json::toString);
    assertEquals(1, rows.get(1).path("connectionCount").asInt(), json::toString);
    assertTrue(rows.get(1).path("connections").isNull(), "the console counts connections: " + json);

    CliRun.Result csv = succeeded(withConsole("alice-token", "list", "-p", "team-a", "-o", "csv"));
    List<String> csvLines = csv.out().lines().toList();
    assertEquals("NAME,TYPE,PROJECT,STATUS,RUNNING_PODS,REQUESTED_PODS,GPUS_REQUESTED,GPUS_ALLOCATED,CREATED,AGE,"
        + "DEPARTMENT,CREATED_BY", csvLines.get(0));
    assertTrue(csvLines.get(1).startsWith("bert,training,team-a,Running,1,1,2,2,"), csv::toString);
    assertTrue(csvLines.get(1).endsWith(",3h,research,alice"), csv::toString);
  }

  @Test
  void anExternalWorkloadFromTheConsoleShowsItsOwner() throws Exception {
    project("team-d", "robotics");
    ExternalWorkloadResource external = new ExternalWorkloadResource();
    external.setMetadata(new ObjectMetaBuilder().withNamespace("team-d").withName("raycluster-sim").build());
    external.setSpec(new ExternalWorkloadSpec(new ExternalWorkloadSpec.Owner("ray.io/v1", "RayCluster", "sim", null),
        3, "raycluster-sim", "RayCluster: its head and every worker group"));
    client.resource(external).create();
    status(WorkloadKind.EXTERNAL, "team-d", "raycluster-sim", "Running", 3, 3, 3.0, 3.0);
    console.await("the external workload", () -> console.runtime.catalog()
        .row("team-d", WorkloadKind.EXTERNAL, "raycluster-sim").map(row -> row.status().equals("Running"))
        .orElse(false));

    CliRun.Result table = succeeded(withConsole("dave-token", "list", "-p", "team-d", "-o", "wide"));
    assertTrue(table.out().lines().toList().get(1).matches("raycluster-sim +RayCluster \\(external\\) +team-d"
        + " +robotics +- +Running +3/3 +3/3 .*"), table::toString);
    JsonNode row = new ObjectMapper().readTree(succeeded(withConsole("dave-token", "list", "-p", "team-d", "-o",
        "json")).out()).get(0);
    assertEquals("external", row.path("type").asText());
    assertEquals("RayCluster", row.path("ownerKind").asText());
    assertEquals("sim", row.path("ownerName").asText());

    CliRun.Result described = succeeded(withConsole("dave-token", "describe", "xwl", "raycluster-sim", "-p",
        "team-d"));
    assertTrue(described.out().contains("Department: robotics\n"), described::toString);
    assertTrue(described.out().contains("Owner:     RayCluster sim (ray.io/v1)\n"), described::toString);
    assertTrue(described.out().contains("History:\n"), described::toString);
  }

  @Test
  void allProjectsAreTheOnesTheCallerMaySee() {
    CliRun.Result bob = succeeded(withConsole("bob-token", "list", "-A", "-o", "wide"));
    List<String> lines = bob.out().lines().toList();
    assertEquals(6, lines.size(), bob::toString);
    assertTrue(lines.get(4).matches("llm +training +team-b +vision +carol +Running .*"), bob::toString);
    // No department, no creator: shown as none, not left out.
    assertTrue(lines.get(5).matches("solo +training +team-c +- +- +Pending .*"), bob::toString);

    CliRun.Result alice = succeeded(withConsole("alice-token", "list", "-A"));
    assertEquals(List.of("bert", "notebook", "resnet"), names(alice), alice::toString);
  }

  @Test
  void everyPageIsRead() {
    CliRun.Result onePage = succeeded(withConsole("bob-token", "list", "-A", "-o", "csv"));
    CliRun.Result fivePages = succeeded(withConsole("bob-token", "list", "-A", "-o", "csv", "--chunk-size", "1"));
    CliRun.Result threePages = succeeded(withConsole("bob-token", "list", "-A", "-o", "csv", "--chunk-size", "2"));
    assertEquals(6, onePage.out().lines().count(), onePage::toString);
    assertEquals(onePage.out(), fivePages.out());
    assertEquals(onePage.out(), threePages.out());

    CliRun.Result none = withConsole("bob-token", "list", "-A", "--chunk-size", "0");
    assertEquals(CliException.USAGE, none.exit(), none::toString);
    assertTrue(none.err().contains("--chunk-size must be between 1 and 10000, was 0"), none::toString);
  }

  @Test
  void describeAddsDepartmentAndTheLatestHistory() {
    String uid = client.resources(TrainingResource.class).inNamespace("team-a").withName("bert").get()
        .getMetadata().getUid();
    // 25 entries, ten minutes apart, the first five hours ago: long past Kubernetes' one-hour events.
    Instant first = Instant.now().minus(5, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    List<HistoryEvent> entries = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      entries.add(new HistoryEvent("bert-" + i, uid, "team-a", "Training", "bert", first.plus(10L * i,
          ChronoUnit.MINUTES), i % 2 == 0 ? HistoryEvent.Category.SCHEDULING : HistoryEvent.Category.GPU_OOM,
          i % 2 == 0 ? "Normal" : "Warning", String.format("Step%02d", i), "what happened at step " + i,
          i % 2 == 0 ? null : "bert-0"));
    }
    console.history.record(entries);

    CliRun.Result described = succeeded(withConsole("alice-token", "describe", "trn", "bert", "-p", "team-a"));
    String out = described.out();
    assertTrue(out.contains("Department: research\n"), described::toString);
    String history = out.substring(out.indexOf("\nHistory:\n"));
    assertTrue(history.contains("(the latest 20 entries; the console keeps older ones)"), described::toString);
    assertFalse(history.contains("Step04"), described::toString);
    List<String> rows = history.lines().filter(line -> line.contains("Step")).toList();
    assertEquals(20, rows.size(), described::toString);
    assertTrue(rows.get(0).matches(" +" + first.plus(50, ChronoUnit.MINUTES) + " +gpu_oom +Warning +Step05 +bert-0"
        + " +what happened at step 5"), described::toString);
    assertTrue(rows.get(19).matches(" +\\S+ +scheduling +Normal +Step24 +- +what happened at step 24"),
        described::toString);
    // The rest still comes from Kubernetes, as without a console.
    assertTrue(out.contains("Phase history:") && out.contains("Events:"), described::toString);
  }

  @Test
  void describeWithoutHistorySaysSo() {
    CliRun.Result described = succeeded(withConsole("bob-token", "describe", "trn", "solo", "-p", "team-c"));
    assertTrue(described.out().contains("Department: -\n"), described::toString);
    assertTrue(described.out().endsWith("History:\n  <none>\n"), described::toString);
  }

  @Test
  void aTokenTheConsoleRefusesSaysHowToSignIn() {
    CliRun.Result refused = withConsole("forged", "list", "-A");
    assertEquals(CliException.FAILED, refused.exit(), refused::toString);
    assertEquals("", refused.out());
    assertEquals("tessera: the console at " + console.url() + " did not accept --token (HTTP 401 Unauthorized):"
        + " the token is not valid; sign in with --token TOKEN (or set TESSERA_TOKEN) with a token the cluster's"
        + " API server accepts\n", refused.err());

    CliRun.Result fromEnvironment = tessera(Map.of("TESSERA_CONSOLE", console.url(), "TESSERA_TOKEN", "forged"),
        "describe", "trn", "bert", "-p", "team-a");
    assertEquals(CliException.FAILED, fromEnvironment.exit(), fromEnvironment::toString);
    assertTrue(fromEnvironment.err().contains("did not accept $TESSERA_TOKEN (HTTP 401"), fromEnvironment::toString);
    assertEquals("", fromEnvironment.out(), "nothing of the description is printed before the refusal");
  }

  @Test
  void aProjectTheCallerMayNotSeeSaysToAskForARole() {
    CliRun.Result refused = withConsole("alice-token", "describe", "trn", "llm", "-p", "team-b");
    assertEquals(CliException.FAILED, refused.exit(), refused::toString);
    assertTrue(refused.err().startsWith("tessera: the console at " + console.url() + " refused (HTTP 403 Forbidden): "),
        refused::toString);
    assertTrue(refused.err().contains("team-b"), refused::toString);
    assertTrue(refused.err().contains("ask your administrator for a role in project 'team-b' that allows it"),
        refused::toString);
  }

  @Test
  void theConsoleNeedsATokenAndAUrl() {
    CliRun.Result noToken = tessera("list", "-A", "--console", console.url());
    assertEquals(CliException.USAGE, noToken.exit(), noToken::toString);
    assertTrue(noToken.err().contains("the console signs in with bearer tokens only, and there is none: pass --token"
        + " TOKEN or set TESSERA_TOKEN (--server uses no kubeconfig credentials)"), noToken::toString);

    CliRun.Result badUrl = tessera(Map.of("TESSERA_CONSOLE", "console.example"), "list", "-A", "--token", "t");
    assertEquals(CliException.USAGE, badUrl.exit(), badUrl::toString);
    assertTrue(badUrl.err().contains("$TESSERA_CONSOLE must be the console's http:// or https:// URL, was"
        + " 'console.example'"), badUrl::toString);

    CliRun.Result unreachable = tessera("list", "-A", "--console", "http://127.0.0.1:1", "--token", "t");
    assertEquals(CliException.FAILED, unreachable.exit(), unreachable::toString);
    assertTrue(unreachable.err().startsWith("tessera: cannot reach the console at http://127.0.0.1:1: "),
        unreachable::toString);
  }

  @Test
  void theEnvironmentNamesTheConsoleAndAnEmptyFlagIgnoresIt() {
    Map<String, String> environment = Map.of("TESSERA_CONSOLE", console.url() + "/", "TESSERA_TOKEN", "bob-token");
    CliRun.Result fromEnvironment = succeeded(tessera(environment, "list", "-A", "-o", "wide"));
    assertTrue(fromEnvironment.out().startsWith("NAME   "), fromEnvironment::toString);
    assertTrue(fromEnvironment.out().lines().findFirst().orElseThrow().contains("DEPARTMENT"), fromEnvironment::toString);

    CliRun.Result ignored = succeeded(tessera(environment, "list", "-A", "-o", "wide", "--console="));
    assertFalse(ignored.out().contains("DEPARTMENT"), ignored::toString);
  }

  @Test
  void withoutAConsoleNothingChanges() throws Exception {
    CliRun.Result json = succeeded(tessera("list", "-p", "team-a", "-o", "json"));
    List<String> fields = new ArrayList<>();
    Iterator<String> names = new ObjectMapper().readTree(json.out()).get(0).fieldNames();
    names.forEachRemaining(fields::add);
    assertEquals(List.of("name", "type", "project", "status", "runningPods", "requestedPods", "gpusRequested",
        "gpusAllocated", "cpuRequested", "cpuAllocated", "memoryRequested", "memoryAllocated", "created", "age",
        "completed", "nodePools", "connections"), fields);
    CliRun.Result wide = succeeded(tessera("list", "-p", "team-a", "-o", "wide"));
    assertTrue(wide.out().lines().findFirst().orElseThrow()
        .matches("NAME +TYPE +PROJECT +STATUS +PODS +GPUS +AGE +COMPLETED +NODE-POOLS +CONNECTIONS"), wide::toString);
    assertTrue(succeeded(tessera("list", "-p", "team-a", "-o", "csv")).out()
        .startsWith("NAME,TYPE,PROJECT,STATUS,RUNNING_PODS,REQUESTED_PODS,GPUS_REQUESTED,GPUS_ALLOCATED,CREATED,AGE\n"));
    CliRun.Result described = succeeded(tessera("describe", "trn", "bert", "-p", "team-a"));
    assertFalse(described.out().contains("Department:"), described::toString);
    assertFalse(described.out().contains("History:"), described::toString);
    assertTrue(described.out().endsWith("Events:\n  <none>\n"), described::toString);
  }

  @Test
  void theKubeconfigsTokenIsTheDefault() {
    Config fromKubeconfig = Config.fromKubeconfig("""
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://k8s.example:6443"}}]
        contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]
        current-context: x
        users: [{name: u, user: {token: kubeconfig-token}}]
        """);
    assertEquals(Optional.of("kubeconfig-token"), ConsoleOptions.kubeconfigToken(fromKubeconfig));
    Config explicit = new ConfigBuilder(Config.empty()).withOauthToken("explicit-token").build();
    explicit.setAutoOAuthToken("kubeconfig-token");
    assertEquals(Optional.of("explicit-token"), ConsoleOptions.kubeconfigToken(explicit));
    Config certificate = Config.fromKubeconfig("""
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://k8s.example:6443"}}]
        contexts: [{name: x, context: {cluster: c, user: u}}]
        current-context: x
        users: [{name: u, user: {client-certificate-data: Y2VydA==, client-key-data: a2V5}}]
        """);
    assertEquals(Optional.empty(), ConsoleOptions.kubeconfigToken(certificate));
  }

  private static List<String> names(CliRun.Result result) {
    return result.out().lines().skip(1).map(line -> line.split(" +")[0]).toList();
  }
}
