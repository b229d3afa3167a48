package dev.tessera.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.ConsoleJson;
import dev.tessera.console.catalog.RowBuilder;
import dev.tessera.console.catalog.WorkloadCatalog;
import dev.tessera.console.history.NoHistory;
import dev.tessera.console.table.Column;
import dev.tessera.console.table.Filter;
import dev.tessera.console.table.TablePage;
import dev.tessera.console.table.TableQuery;
import dev.tessera.console.table.WorkloadRow;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Workloads table's list: 10,000 workloads with 50,000 pods in 100 projects, fed to the catalog
 * as the informers would, then queried as the API does: who may see each row (one answer per
 * namespace, as a request memoises them), filters, sort, the first page of 100, written as JSON.
 * {@code afterChange} makes a pod change before each query, so the table is rebuilt each time, as
 * on a busy cluster. Percentiles come from SampleTime mode. Run with {@code java -cp
 * bench/target/tessera-bench.jar org.openjdk.jmh.Main WorkloadTableBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WorkloadTableBenchmark {
  private static final int WORKLOADS = 10_000;
  private static final int WORKERS = 4;
  private static final int PROJECTS = 100;

  /** All rows by name; one project's running ones by GPUs; a free-text search by creation time. */
  @Param({"all-by-name", "project-running-by-gpus", "search-by-created"})
  public String query;

  @Param({"false", "true"})
  public boolean afterChange;

  private WorkloadCatalog catalog;
  private ObjectMapper json;
  private TableQuery tableQuery;
  private Pod churned;
  private int churn;

  @Setup
  public void setUp() throws Exception {
    json = ConsoleJson.mapper();
    catalog = new WorkloadCatalog(new RowBuilder("bench"), new NoHistory() /* this measures the table */, json, Clock.systemUTC(),
        Duration.ofDays(30));
    Random random = new Random(42);
    for (int p = 0; p < PROJECTS; p++) {
      ProjectResource project = new ProjectResource();
      project.setMetadata(new ObjectMetaBuilder().withName("team-" + p).build());
      project.setSpec(new ProjectSpec(List.of("team-" + p), "dept-" + (p % 10), null, null, null, null));
      catalog.projectChanged(project);
    }
    Instant start = Instant.parse("2026-11-01T00:00:00Z");
    for (int w = 0; w < WORKLOADS; w++) {
      String namespace = "team-" + (w % PROJECTS);
      String name = (w % 3 == 0 ? "bert-" : w % 3 == 1 ? "resnet-" : "llama-") + w;
      DistributedTrainingResource training = new DistributedTrainingResource();
      training.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withUid("uid-" + w)
          .withCreationTimestamp(start.plusSeconds(random.nextInt(2_000_000)).toString())
          .withAnnotations(Map.of(WellKnown.CREATED_BY_ANNOTATION, "user-" + random.nextInt(500))).build());
      training.setSpec(new DistributedTrainingSpec("pytorch:24.08", null, null, null,
          new WorkloadSpec.GpuSpec(1 + random.nextInt(8), null, null, null, null, null), "4", null, "32Gi", null,
          List.of("a100"), null, null, null, null, null, "pytorch", WORKERS, null, null, null));
      String phase = random.nextInt(4) == 0 ? "Pending" : "Running";
      training.setStatus(new WorkloadStatus(phase, null, null, phase.equals("Running") ? WORKERS + 1 : 0, WORKERS + 1,
          null, null, null, null, null, null, null, null, null, null, null, 1L));
      catalog.workloadChanged(training);
      for (int i = 0; i <= WORKERS; i++) {
        Pod pod = pod(namespace, name, i, "node-" + random.nextInt(1000), random.nextInt(8));
        catalog.podChanged(pod);
        churned = pod;
      }
    }
    CountDownLatch fed = new CountDownLatch(1);
    catalog.afterPending(fed::countDown);
    if (!fed.await(5, TimeUnit.MINUTES) || catalog.live().size() != WORKLOADS) {
      throw new IllegalStateException("the catalog did not take the workloads: " + catalog.live().size());
    }
    tableQuery = switch (query) {
      case "all-by-name" -> new TableQuery(List.of(), null, Column.NAME, false, 100, null, null);
      case "project-running-by-gpus" -> new TableQuery(
          List.of(Filter.parse("project==team-7"), Filter.parse("status==Running")), null,
          Column.GPU_COMPUTE_REQUEST, true, 100, null, null);
      case "search-by-created" -> new TableQuery(List.of(), "bert", Column.CREATED_AT, true, 100, null, null);
      default -> throw new IllegalArgumentException(query);
    };
  }

  private static Pod pod(String namespace, String workload, int index, String node, int gpu) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(namespace).withName(workload + "-" + index)
        .withUid(workload + "-pod-" + index)
        .withLabels(Map.of(WellKnown.WORKLOAD_LABEL, workload, WellKnown.WORKLOAD_KIND_LABEL, "distributed-training"))
        .withAnnotations(Map.of(WellKnown.GPU_ASSIGNMENT,
            AssignmentCodec.encode(new GpuAssignment(node, true, List.of(new GpuShare(gpu, null, 81_920, 1.0))))))
        .endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("main").withImage("pytorch:24.08")
        .withNewResources().addToRequests("cpu", new Quantity("4")).addToLimits("memory", new Quantity("32Gi"))
        .endResources().endContainer().endSpec()
        .withNewStatus().withPhase("Running").endStatus()
        .build();
  }

  @TearDown
  public void tearDown() {
    catalog.close();
  }

  @Setup(Level.Invocation)
  public void change() throws InterruptedException {
    if (!afterChange) {
      return;
    }
    // A pod's phase flips: the row changes, so the next query rebuilds the table.
    Pod pod = new PodBuilder(churned).editStatus().withPhase(churn++ % 2 == 0 ? "Pending" : "Running").endStatus()
        .build();
    catalog.podChanged(pod);
    CountDownLatch applied = new CountDownLatch(1);
    catalog.afterPending(applied::countDown);
    applied.await();
  }

  @Benchmark
  public byte[] list() throws Exception {
    Map<String, Boolean> visible = new HashMap<>();
    // A caller who sees half the projects: one answer per namespace, as a request memoises them.
    TablePage page = catalog.live().query(tableQuery, (WorkloadRow row) -> visible.computeIfAbsent(row.namespace(),
        namespace -> Integer.parseInt(namespace.substring(5)) % 2 == 1));
    return json.writeValueAsBytes(Map.of("kind", "WorkloadList", "metadata", Map.of("continue",
        String.valueOf(page.continueToken())), "items", page.items(), "total", page.total()));
  }
}
