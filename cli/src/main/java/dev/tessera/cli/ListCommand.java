package dev.tessera.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonView;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tessera list}: every workload of the project, all five kinds in one table, with what the
 * controller reports (phase, pods, GPUs). Before the controller has written a status, requested
 * pods and GPUs come from the spec so a fresh submission does not look empty. An external workload
 * (another controller's, which has no such spec) shows its owner's kind as its TYPE in the table,
 * as the web UI does; json and csv keep the kind ("external") in their type, which scripts read,
 * and json adds ownerKind and ownerName.
 *
 * <p>With a console ({@code --console}), the rows come from its Workloads table instead, page by
 * page, with what only the console knows: the project's department and who created each workload.
 * Its statuses are the console's (a workload without one yet is "Creating"), and it counts
 * connections rather than listing their addresses.
 */
@Command(
    name = "list",
    aliases = "ls",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"List workloads: NAME, TYPE, PROJECT, STATUS, PODS (running/requested), GPUS"
        + " (requested/allocated), AGE; -o wide adds COMPLETED, NODE-POOLS and CONNECTIONS.",
      "An external workload (a Job, PyTorchJob, RayCluster, ... Tessera schedules; KIND external) shows its"
          + " owner's kind as TYPE, e.g. 'PyTorchJob (external)'; in json and csv its type is external, and json"
          + " adds ownerKind and ownerName.",
      "With a console (--console), -o wide also shows DEPARTMENT and CREATED-BY and counts CONNECTIONS;"
          + " json and csv add department and createdBy.", ""})
final class ListCommand implements Callable<Integer> {
  /** Output formats of {@code -o}. */
  enum Output { table, wide, json, csv }

  private static final long MIB = 1L << 20;

  /** The JSON view of a list read from the Kubernetes API: without the console's fields. */
  interface FromKubernetes {}

  /** The JSON view of a list read from a console: with its fields. */
  interface FromConsole {}

  /**
   * One workload as {@code -o json} writes it; CPU and memory as the controller reports them, quantities.
   *
   * @param department the project's department; only with a console
   * @param createdBy who submitted it; only with a console
   * @param connections "NAME=ADDRESS" of each connection; null with a console, which counts them
   * @param connectionCount how many connections it has; only with a console
   * @param ownerKind for an external workload, the kind of the object that runs it; left out for the
   *     others, whose json stays as it was
   * @param ownerName for an external workload, that object's name
   */
  record Row(String name, String type, @JsonInclude(JsonInclude.Include.NON_NULL) String ownerKind,
      @JsonInclude(JsonInclude.Include.NON_NULL) String ownerName, String project,
      @JsonView(FromConsole.class) String department,
      @JsonView(FromConsole.class) String createdBy, String status, Integer runningPods, Integer requestedPods,
      String gpusRequested, String gpusAllocated, String cpuRequested, String cpuAllocated, String memoryRequested,
      String memoryAllocated, String created, String age, String completed, List<String> nodePools,
      List<String> connections, @JsonView(FromConsole.class) Integer connectionCount) {}

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin ConsoleOptions console;

  @Option(names = {"-A", "--all-projects"}, description = "Workloads of every project.")
  boolean allProjects;

  @Option(names = {"-o", "--output"}, paramLabel = "table|wide|json|csv", description = "Output format (default: ${DEFAULT-VALUE}).")
  Output output = Output.table;

  @Option(
      names = "--chunk-size",
      paramLabel = "N",
      description = "With a console, fetch the list N rows at a time (default: ${DEFAULT-VALUE}; at most "
          + ConsoleClient.MAX_CHUNK + ").")
  int chunkSize = 500;

  private final Clock clock;

  ListCommand(Clock clock, Map<String, String> environment) {
    this.clock = clock;
    this.console = new ConsoleOptions(environment);
  }

  @Override
  public Integer call() throws Exception {
    if (chunkSize < 1 || chunkSize > ConsoleClient.MAX_CHUNK) {
      throw CliException.usage("--chunk-size must be between 1 and " + ConsoleClient.MAX_CHUNK + ", was " + chunkSize);
    }
    List<Row> rows = new ArrayList<>();
    String namespace;
    boolean fromConsole;
    try (KubernetesClient client = cluster.connect()) {
      Optional<ConsoleClient> workloads = console.connect(client.getConfiguration(), cluster.direct());
      fromConsole = workloads.isPresent();
      namespace = allProjects ? null : cluster.namespace(client);
      Instant now = clock.instant();
      if (fromConsole) {
        for (ConsoleClient.Row row : workloads.get().workloads(namespace, chunkSize)) {
          rows.add(row(row, now));
        }
      } else {
        for (WorkloadKind kind : WorkloadKind.values()) {
          for (WorkloadResource<?> workload : Workloads.list(client, kind, namespace)) {
            rows.add(row(kind, workload, now));
          }
        }
      }
    }
    rows.sort(Comparator.comparing(Row::project).thenComparing(Row::name).thenComparing(Row::type));
    PrintWriter out = spec.commandLine().getOut();
    switch (output) {
      case json -> out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writerWithView(fromConsole ? FromConsole.class : FromKubernetes.class).writeValueAsString(rows));
      case csv -> table(rows, true, fromConsole).printCsv(out);
      default -> {
        if (rows.isEmpty()) {
          out.println(allProjects ? "No workloads." : "No workloads in project '" + namespace + "'.");
        } else if (output == Output.wide) {
          wide(rows, fromConsole).printAligned(out, "");
        } else {
          table(rows, false, false).printAligned(out, "");
        }
      }
    }
    out.flush();
    return 0;
  }

  /** The table, or its CSV with every figure in a column of its own and, from a console, its two columns last. */
  private static Table table(List<Row> rows, boolean csv, boolean fromConsole) {
    List<String> headers = new ArrayList<>(csv
        ? List.of("NAME", "TYPE", "PROJECT", "STATUS", "RUNNING_PODS", "REQUESTED_PODS", "GPUS_REQUESTED",
            "GPUS_ALLOCATED", "CREATED", "AGE")
        : List.of("NAME", "TYPE", "PROJECT", "STATUS", "PODS", "GPUS", "AGE"));
    if (fromConsole) {
      headers.addAll(List.of("DEPARTMENT", "CREATED_BY"));
    }
    Table table = new Table(headers.toArray(String[]::new));
    for (Row row : rows) {
      // Arrays.asList: a cell may be null, which prints empty.
      List<String> cells = new ArrayList<>(csv
          ? Arrays.asList(row.name(), row.type(), row.project(), row.status(), Formats.orNone(row.runningPods()),
              Formats.orNone(row.requestedPods()), row.gpusRequested(), row.gpusAllocated(),
              row.created(), row.age())
          : Arrays.asList(row.name(), type(row), row.project(), row.status(),
              Formats.orNone(row.runningPods()) + "/" + Formats.orNone(row.requestedPods()),
              row.gpusRequested() + "/" + row.gpusAllocated(), row.age()));
      if (fromConsole) {
        cells.add(Formats.orNone(row.department()));
        cells.add(Formats.orNone(row.createdBy()));
      }
      table.add(cells.toArray(String[]::new));
    }
    return table;
  }

  /**
   * The table and, for where and how it ran: completion time, node pools, connection addresses.
   * From a console, also department and creator after the project, and connections counted.
   */
  private static Table wide(List<Row> rows, boolean fromConsole) {
    Table table = fromConsole
        ? new Table("NAME", "TYPE", "PROJECT", "DEPARTMENT", "CREATED-BY", "STATUS", "PODS", "GPUS", "AGE",
            "COMPLETED", "NODE-POOLS", "CONNECTIONS")
        : new Table("NAME", "TYPE", "PROJECT", "STATUS", "PODS", "GPUS", "AGE", "COMPLETED", "NODE-POOLS",
            "CONNECTIONS");
    for (Row row : rows) {
      List<String> cells = new ArrayList<>(Arrays.asList(row.name(), type(row), row.project()));
      if (fromConsole) {
        cells.add(Formats.orNone(row.department()));
        cells.add(Formats.orNone(row.createdBy()));
      }
      cells.addAll(Arrays.asList(row.status(), Formats.orNone(row.runningPods()) + "/" + Formats.orNone(row.requestedPods()),
          row.gpusRequested() + "/" + row.gpusAllocated(), row.age(), Formats.orNone(row.completed()),
          joined(row.nodePools()), fromConsole ? count(row.connectionCount()) : joined(row.connections())));
      table.add(cells.toArray(String[]::new));
    }
    return table;
  }

  /** TYPE in the table: the kind, or what runs an external workload, "PyTorchJob (external)". */
  private static String type(Row row) {
    return row.ownerKind() == null ? row.type() : row.ownerKind() + " (external)";
  }

  private static String count(Integer count) {
    return count == null || count == 0 ? Formats.NONE : count.toString();
  }

  private static String joined(List<String> values) {
    return values.isEmpty() ? Formats.NONE : String.join(",", values);
  }

  private static Row row(WorkloadKind kind, WorkloadResource<?> workload, Instant now) {
    WorkloadStatus status = workload.statusOrEmpty();
    String created = workload.getMetadata().getCreationTimestamp() != null
        ? workload.getMetadata().getCreationTimestamp() : status.createdAt();
    Integer requestedPods = status.requestedPods() != null ? status.requestedPods() : podsInSpec(workload);
    String gpusRequested = status.gpusRequested() != null
        ? Formats.number(status.gpusRequested()) : gpusInSpec(workload.workload(), requestedPods);
    ExternalWorkloadSpec.Owner owner = ExternalWorkloads.owner(workload);
    return new Row(workload.getMetadata().getName(), kind.label(), owner == null ? null : owner.kind(),
        owner == null ? null : owner.name(), workload.getMetadata().getNamespace(), null, null,
        status.phase() == null ? Formats.NONE : status.phase(),
        status.runningPods() != null ? status.runningPods() : Integer.valueOf(0),
        requestedPods, gpusRequested, Formats.number(status.gpusAllocated() == null ? 0 : status.gpusAllocated()),
        status.cpuRequested(), status.cpuAllocated(), status.memoryRequested(), status.memoryAllocated(),
        created, Formats.age(Formats.instant(created), now), status.completedAt(), nodePools(workload.workload()),
        connections(status), null);
  }

  /**
   * A console's row in the CLI's shape. PROJECT stays the namespace, as without a console; GPUs
   * asked for by memory show as MiB in all.
   */
  private static Row row(ConsoleClient.Row row, Instant now) {
    String gpusRequested = row.gpuMemoryRequest() != null && row.gpuComputeRequest() == 0
        ? row.gpuMemoryRequest() / MIB + "MiB" : Formats.number(row.gpuComputeRequest());
    return new Row(row.name(), row.type(), row.ownerKind(), row.ownerName(), row.namespace(), row.department(),
        row.createdBy(),
        Formats.orNone(row.status()), row.runningPods(), row.requestedPods(), gpusRequested,
        Formats.number(row.gpuComputeAllocation()), Formats.number(row.cpuComputeRequest()),
        Formats.number(row.cpuComputeAllocation()), Formats.bytes(row.cpuMemoryRequest()),
        Formats.bytes(row.cpuMemoryAllocation()), row.createdAt(), Formats.age(Formats.instant(row.createdAt()), now),
        row.completedAt(), row.nodePools() == null ? List.of() : List.copyOf(row.nodePools()), null,
        row.connections());
  }

  private static List<String> nodePools(WorkloadSpec spec) {
    return spec == null || spec.nodePools() == null ? List.of() : List.copyOf(spec.nodePools());
  }

  /** Where each connection is served, "NAME=ADDRESS", as the controller reports it. */
  private static List<String> connections(WorkloadStatus status) {
    if (status.connections() == null) {
      return List.of();
    }
    return status.connections().stream()
        .filter(c -> c.address() != null)
        .map(c -> (c.name() == null ? "" : c.name() + "=") + c.address())
        .toList();
  }

  /** Pods the spec asks for: the master and workers, the minimum replicas, or one. */
  static Integer podsInSpec(WorkloadResource<?> workload) {
    Object spec = workload.getSpec();
    if (spec instanceof DistributedTrainingSpec distributed) {
      return distributed.mostWorkers() == null ? null : distributed.mostWorkers() + 1;
    }
    if (spec instanceof InferenceSpec inference) {
      return inference.minReplicas() == null ? 1 : inference.minReplicas();
    }
    if (spec instanceof ExternalWorkloadSpec) {
      return null; // its owner's spec says, which Tessera does not read; its status will
    }
    return spec == null ? null : 1;
  }

  /** GPUs the spec asks for in all, or per pod in MiB when it asks by memory. */
  static String gpusInSpec(WorkloadSpec spec, Integer pods) {
    if (spec == null || spec.gpu() == null) {
      return "0";
    }
    WorkloadSpec.GpuSpec gpu = spec.gpu();
    int podCount = pods == null ? 1 : pods;
    int devices = gpu.devices() == null ? 1 : gpu.devices();
    if (gpu.count() != null) {
      return Formats.number(gpu.count() * podCount);
    }
    if (gpu.fraction() != null) {
      return Formats.number(gpu.fraction() * devices * podCount);
    }
    if (gpu.memoryMiB() != null) {
      return gpu.memoryMiB() + "MiB";
    }
    return "0";
  }
}
