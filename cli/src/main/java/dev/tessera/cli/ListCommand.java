package dev.tessera.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tessera.api.workloads.DistributedTrainingSpec;
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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tessera list}: every workload of the project, all four kinds in one table, with what the
 * controller reports (phase, pods, GPUs). Before the controller has written a status, requested
 * pods and GPUs come from the spec so a fresh submission does not look empty.
 */
@Command(
    name = "list",
    aliases = "ls",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"List workloads: NAME, TYPE, PROJECT, STATUS, PODS (running/requested), GPUS"
        + " (requested/allocated), AGE; -o wide adds COMPLETED, NODE-POOLS and CONNECTIONS.", ""})
final class ListCommand implements Callable<Integer> {
  /** Output formats of {@code -o}. */
  enum Output { table, wide, json, csv }

  /** One workload as {@code -o json} writes it; CPU and memory as the controller reports them, quantities. */
  record Row(String name, String type, String project, String status, Integer runningPods, Integer requestedPods,
      String gpusRequested, String gpusAllocated, String cpuRequested, String cpuAllocated, String memoryRequested,
      String memoryAllocated, String created, String age, String completed, List<String> nodePools,
      List<String> connections) {}

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Option(names = {"-A", "--all-projects"}, description = "Workloads of every project.")
  boolean allProjects;

  @Option(names = {"-o", "--output"}, paramLabel = "table|wide|json|csv", description = "Output format (default: ${DEFAULT-VALUE}).")
  Output output = Output.table;

  private final Clock clock;

  ListCommand(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Integer call() throws Exception {
    List<Row> rows = new ArrayList<>();
    String namespace;
    try (KubernetesClient client = cluster.connect()) {
      namespace = allProjects ? null : cluster.namespace(client);
      Instant now = clock.instant();
      for (WorkloadKind kind : WorkloadKind.values()) {
        for (WorkloadResource<?> workload : Workloads.list(client, kind, namespace)) {
          rows.add(row(kind, workload, now));
        }
      }
    }
    rows.sort(Comparator.comparing(Row::project).thenComparing(Row::name).thenComparing(Row::type));
    PrintWriter out = spec.commandLine().getOut();
    switch (output) {
      case json -> out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
      case csv -> table(rows, true).printCsv(out);
      default -> {
        if (rows.isEmpty()) {
          out.println(allProjects ? "No workloads." : "No workloads in project '" + namespace + "'.");
        } else if (output == Output.wide) {
          wide(rows).printAligned(out, "");
        } else {
          table(rows, false).printAligned(out, "");
        }
      }
    }
    out.flush();
    return 0;
  }

  private static Table table(List<Row> rows, boolean csv) {
    Table table = csv
        ? new Table("NAME", "TYPE", "PROJECT", "STATUS", "RUNNING_PODS", "REQUESTED_PODS", "GPUS_REQUESTED",
            "GPUS_ALLOCATED", "CREATED", "AGE")
        : new Table("NAME", "TYPE", "PROJECT", "STATUS", "PODS", "GPUS", "AGE");
    for (Row row : rows) {
      if (csv) {
        table.add(row.name(), row.type(), row.project(), row.status(), Formats.orNone(row.runningPods()),
            Formats.orNone(row.requestedPods()), row.gpusRequested(), row.gpusAllocated(), row.created(), row.age());
      } else {
        table.add(row.name(), row.type(), row.project(), row.status(),
            Formats.orNone(row.runningPods()) + "/" + Formats.orNone(row.requestedPods()),
            row.gpusRequested() + "/" + row.gpusAllocated(), row.age());
      }
    }
    return table;
  }

  /** The table and, for where and how it ran: completion time, node pools, connection addresses. */
  private static Table wide(List<Row> rows) {
    Table table = new Table("NAME", "TYPE", "PROJECT", "STATUS", "PODS", "GPUS", "AGE", "COMPLETED", "NODE-POOLS",
        "CONNECTIONS");
    for (Row row : rows) {
      table.add(row.name(), row.type(), row.project(), row.status(),
          Formats.orNone(row.runningPods()) + "/" + Formats.orNone(row.requestedPods()),
          row.gpusRequested() + "/" + row.gpusAllocated(), row.age(), Formats.orNone(row.completed()),
          joined(row.nodePools()), joined(row.connections()));
    }
    return table;
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
    return new Row(workload.getMetadata().getName(), kind.label(), workload.getMetadata().getNamespace(),
        status.phase() == null ? Formats.NONE : status.phase(),
        status.runningPods() != null ? status.runningPods() : Integer.valueOf(0),
        requestedPods, gpusRequested, Formats.number(status.gpusAllocated() == null ? 0 : status.gpusAllocated()),
        status.cpuRequested(), status.cpuAllocated(), status.memoryRequested(), status.memoryAllocated(),
        created, Formats.age(Formats.instant(created), now), status.completedAt(), nodePools(workload.workload()),
        connections(status));
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
