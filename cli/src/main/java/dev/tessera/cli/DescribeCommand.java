package dev.tessera.cli;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code tessera describe KIND NAME}: the story of one workload in one screen: its status, every
 * phase change with time and reason, its pods, where to connect, and its events in order, so a user
 * can tell why it is pending without reading three kubectl outputs.
 *
 * <p>An external workload (another controller's) says what runs it instead of an image and GPU spec:
 * its owner, how many of its pods are placed together and by which PodGroup, and the rule that
 * grouped them.
 *
 * <p>Kubernetes keeps events for an hour. With a console ({@code --console}), a History section
 * adds the latest entries the console keeps for as long as it keeps the workload, and the project's
 * department; everything else still comes from the Kubernetes API.
 */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {"Show a workload's status, phase history, pods, connections and events; with a console"
        + " (--console), also its department and the latest " + DescribeCommand.HISTORY_ENTRIES + " entries of"
        + " its history, which outlives Kubernetes' one-hour events.",
      "For an external workload (KIND external), its owner (the Job, PyTorchJob, ... that runs it), min member,"
          + " pod group and grouping rule.", ""})
final class DescribeCommand implements Callable<Integer> {
  /** How many of the console's history entries to show, the latest. */
  static final int HISTORY_ENTRIES = 20;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin ClusterOptions cluster;

  @Mixin ConsoleOptions console;

  @Mixin WorkloadRef ref;

  /**
   * What a console adds: the workload's department and its history.
   *
   * @param row the console's row; empty where it does not know the workload yet
   */
  private record FromConsole(Optional<ConsoleClient.Row> row, ConsoleClient.History history) {}

  DescribeCommand(Map<String, String> environment) {
    this.console = new ConsoleOptions(environment);
  }

  @Override
  public Integer call() {
    try (KubernetesClient client = cluster.connect()) {
      Optional<ConsoleClient> consoleClient = console.connect(client.getConfiguration(), cluster.direct());
      String namespace = cluster.namespace(client);
      WorkloadResource<?> workload = Workloads.require(client, ref.kind, namespace, ref.name);
      List<Pod> pods = Workloads.pods(client, ref.kind, namespace, ref.name);
      List<Event> events = client.v1().events().inNamespace(namespace).list().getItems().stream()
          .filter(event -> event.getInvolvedObject() != null && ref.name.equals(event.getInvolvedObject().getName()))
          .filter(event -> event.getInvolvedObject().getKind() == null
              || ref.kind.kind().equals(event.getInvolvedObject().getKind()))
          .sorted(Comparator.comparing(DescribeCommand::eventTime, Comparator.nullsFirst(Comparator.naturalOrder()))
              .thenComparing(event -> event.getMetadata().getName()))
          .toList();
      // Everything is read before anything is printed, so a refusal leaves no half description.
      FromConsole fromConsole = consoleClient.map(c -> new FromConsole(c.row(ref.kind, namespace, ref.name),
          c.history(ref.kind, namespace, ref.name, HISTORY_ENTRIES))).orElse(null);
      print(spec.commandLine().getOut(), workload, pods, events, fromConsole);
    }
    return 0;
  }

  private void print(PrintWriter out, WorkloadResource<?> workload, List<Pod> pods, List<Event> events,
      FromConsole fromConsole) {
    WorkloadStatus status = workload.statusOrEmpty();
    WorkloadSpec common = workload.workload();
    field(out, "Name", workload.getMetadata().getName());
    field(out, "Type", ref.kind.label());
    field(out, "Project", workload.getMetadata().getNamespace());
    if (fromConsole != null) {
      field(out, "Department", fromConsole.row().map(row -> Formats.orNone(row.department()))
          .orElse(Formats.NONE + " (the console does not know this workload yet)"));
    }
    field(out, "Status", Formats.orNone(status.phase()) + (status.reason() == null ? "" : " (" + status.reason() + ")"));
    field(out, "Created", Formats.orNone(workload.getMetadata().getCreationTimestamp()));
    Map<String, String> annotations = workload.getMetadata().getAnnotations();
    String creator = annotations == null ? null : annotations.get(WellKnown.CREATED_BY_ANNOTATION);
    if (creator != null) {
      field(out, "Created by", creator);
    }
    if (workload instanceof ExternalWorkloadResource external) {
      printOwner(out, external);
    }
    if (common != null) {
      field(out, "Image", Formats.orNone(common.image()));
      field(out, "GPU", gpu(common.gpu()));
      if (Boolean.TRUE.equals(common.stopped())) {
        field(out, "Stopped", "true (tessera run " + ref.kind.label() + " " + ref.name + " starts it again)");
      }
    }
    field(out, "Pods", Formats.orNone(status.runningPods()) + " running / " + Formats.orNone(status.requestedPods())
        + " requested");
    field(out, "GPUs", Formats.number(status.gpusRequested()) + " requested / " + Formats.number(status.gpusAllocated())
        + " allocated");
    field(out, "CPU", Formats.orNone(status.cpuRequested()) + " requested / " + Formats.orNone(status.cpuAllocated())
        + " allocated");
    field(out, "Memory", Formats.orNone(status.memoryRequested()) + " requested / "
        + Formats.orNone(status.memoryAllocated()) + " allocated");
    if (status.nodes() != null && !status.nodes().isEmpty()) {
      field(out, "Nodes", String.join(", ", status.nodes()));
    }

    out.println();
    out.println("Phase history:");
    if (status.phaseHistory() == null || status.phaseHistory().isEmpty()) {
      out.println("  <none>");
    } else {
      Table history = new Table("SINCE", "PHASE", "REASON", "MESSAGE");
      for (WorkloadStatus.PhaseChange change : status.phaseHistory()) {
        history.add(Formats.orNone(change.since()), change.phase(), Formats.orNone(change.reason()),
            Formats.orNone(change.message()));
      }
      history.printAligned(out, "  ");
    }

    out.println();
    out.println("Pods:");
    if (pods.isEmpty()) {
      out.println("  <none>");
    } else {
      Table table = new Table("NAME", "NODE", "PHASE");
      for (Pod pod : pods) {
        table.add(pod.getMetadata().getName(), Formats.orNone(pod.getSpec() == null ? null : pod.getSpec().getNodeName()),
            Formats.orNone(pod.getStatus() == null ? null : pod.getStatus().getPhase()));
      }
      table.printAligned(out, "  ");
    }

    out.println();
    out.println("Connections:");
    if (status.connections() == null || status.connections().isEmpty()) {
      out.println("  <none>");
    } else {
      Table table = new Table("NAME", "PORT", "ADDRESS");
      for (WorkloadStatus.ConnectionStatus connection : status.connections()) {
        table.add(Formats.orNone(connection.name()), Formats.orNone(connection.port()),
            Formats.orNone(connection.address()));
      }
      table.printAligned(out, "  ");
    }

    out.println();
    out.println("Events:");
    if (events.isEmpty()) {
      out.println("  <none>");
    } else {
      Table table = new Table("TIME", "TYPE", "REASON", "MESSAGE");
      for (Event event : events) {
        table.add(Formats.orNone(eventTime(event)), Formats.orNone(event.getType()), Formats.orNone(event.getReason()),
            Formats.orNone(event.getMessage()));
      }
      table.printAligned(out, "  ");
    }
    if (fromConsole != null) {
      printHistory(out, fromConsole.history());
    }
    out.flush();
  }

  /** What runs an external workload and how its pods were grouped; what to act on instead of it. */
  private static void printOwner(PrintWriter out, ExternalWorkloadResource external) {
    ExternalWorkloadSpec spec = external.getSpec();
    ExternalWorkloadSpec.Owner owner = spec == null ? null : spec.owner();
    field(out, "Owner", owner == null ? Formats.NONE
        : owner.kind() + " " + owner.name() + " (" + owner.apiVersion() + (owner.uid() == null ? "" : ", uid "
            + owner.uid()) + ")");
    Integer minMember = spec == null ? null : spec.minMember();
    field(out, "Min member", minMember == null ? Formats.NONE
        : minMember + (minMember > 1 ? " (its pods are placed together)" : " (each pod is placed alone)"));
    field(out, "Pod group", Formats.orNone(spec == null ? null : spec.podGroup()));
    field(out, "Grouping", Formats.orNone(spec == null ? null : spec.grouping()));
    field(out, "Run by", (owner == null ? "its owner's" : "the " + owner.kind() + "'s") + " own controller;"
        + " stop, run, delete and copy it through " + (owner == null ? "its owner" : "the " + owner.kind()));
  }

  /** The console's latest entries, oldest first as the events above; a note where older ones are left out. */
  private static void printHistory(PrintWriter out, ConsoleClient.History history) {
    out.println();
    out.println("History:");
    if (history.unavailable() != null) {
      out.println("  <unavailable: " + history.unavailable() + ">");
      return;
    }
    if (history.entries().isEmpty()) {
      out.println("  <none>");
      return;
    }
    if (history.more()) {
      out.println("  (the latest " + history.entries().size() + " entries; the console keeps older ones)");
    }
    Table table = new Table("TIME", "CATEGORY", "TYPE", "REASON", "POD", "MESSAGE");
    List<ConsoleClient.Entry> oldestFirst = new ArrayList<>(history.entries());
    Collections.reverse(oldestFirst);
    for (ConsoleClient.Entry entry : oldestFirst) {
      table.add(Formats.orNone(entry.time()),
          entry.category() == null ? Formats.NONE : entry.category().toLowerCase(Locale.ROOT),
          Formats.orNone(entry.type()), Formats.orNone(entry.reason()), Formats.orNone(entry.pod()),
          oneLine(entry.message()));
    }
    table.printAligned(out, "  ");
  }

  /** A message on one line, so the table stays aligned; "-" for none. */
  private static String oneLine(String message) {
    return message == null || message.isBlank() ? Formats.NONE : message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /** When it happened: first seen, else last seen, else the object's creation. */
  private static String eventTime(Event event) {
    if (event.getFirstTimestamp() != null) {
      return event.getFirstTimestamp();
    }
    if (event.getLastTimestamp() != null) {
      return event.getLastTimestamp();
    }
    if (event.getEventTime() != null && event.getEventTime().getTime() != null) {
      return event.getEventTime().getTime();
    }
    return event.getMetadata().getCreationTimestamp();
  }

  private static String gpu(WorkloadSpec.GpuSpec gpu) {
    if (gpu == null) {
      return "none";
    }
    StringBuilder text = new StringBuilder();
    if (gpu.count() != null) {
      text.append(gpu.count()).append(" per pod");
    } else if (gpu.fraction() != null) {
      text.append(Formats.number(gpu.fraction())).append(" of a GPU per pod");
    } else if (gpu.memoryMiB() != null) {
      text.append(gpu.memoryMiB()).append(" MiB per pod");
    }
    if (gpu.devices() != null) {
      text.append(" on ").append(gpu.devices()).append(" GPUs");
    }
    if (gpu.fractionLimit() != null) {
      text.append(", limit ").append(Formats.number(gpu.fractionLimit()));
    }
    if (gpu.memoryLimitMiB() != null) {
      text.append(", limit ").append(gpu.memoryLimitMiB()).append(" MiB");
    }
    return text.length() == 0 ? "none" : text.toString();
  }

  private static void field(PrintWriter out, String label, String value) {
    out.printf("%-10s %s%n", label + ":", value);
  }
}
