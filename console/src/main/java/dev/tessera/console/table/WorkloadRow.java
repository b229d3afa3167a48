package dev.tessera.console.table;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One workload as the Workloads table shows it: every column, already computed, so a query only
 * compares values. Quantities are plain numbers in base units (cores, bytes) so they sort and
 * filter as numbers; null where the value is not known (a fraction's GPU memory before it is
 * placed).
 *
 * @param uid the workload's {@code metadata.uid}: the row's identity and the cursors' tie-break
 * @param name its name
 * @param namespace its namespace
 * @param type its kind's label ("workspace", "training", "distributed-training", "inference",
 *     "external")
 * @param ownerKind for an external workload, the kind of the object whose controller runs it
 *     ("PyTorchJob", "Job", "RayCluster"); null for the kinds Tessera runs itself
 * @param ownerName for an external workload, that object's name; null for the others
 * @param preemptible whether reclaim and preemption may take its pods
 * @param status one of the nine phases ("Running", ...)
 * @param statusReason the last phase change's reason, a CamelCase word; null when none
 * @param statusMessage what a person should know about it ("gang needs 8 × 2 GPUs; only 6 fit")
 * @param project the project its namespace belongs to; null when none does
 * @param department the project's department; null when none
 * @param createdBy the user who submitted it, as admission recorded it; null for ones created before
 * @param runningPods pods running now
 * @param requestedPods pods it asks for
 * @param createdAt when it was created
 * @param completedAt when it reached Completed or Failed; null before
 * @param deletedAt when it was deleted; null for a workload that exists
 * @param connections how many connections it has
 * @param dataSources how many data sources it mounts
 * @param image its container image (the "environment")
 * @param architecture "standard" (one pod, or independent replicas) or "distributed" (a gang)
 * @param gpuComputeRequest GPUs asked for in all, fractions included
 * @param gpuComputeAllocation GPUs its placed pods hold
 * @param gpuMemoryRequest GPU memory asked for in bytes; null when asked as a fraction or whole GPUs
 * @param gpuMemoryAllocation GPU memory its placed pods hold, in bytes
 * @param cpuComputeRequest CPU cores asked for in all
 * @param cpuComputeAllocation CPU cores its placed pods hold
 * @param cpuMemoryRequest memory asked for in all, bytes
 * @param cpuMemoryAllocation memory its placed pods hold, bytes
 * @param nodePools the pools it asked for, or where it runs when it asked for none
 * @param cluster the cluster's name
 * @param actions what Tessera can do to a workload of its kind ("stop", "run", "delete", "copy");
 *     empty for an external workload, which its owner's controller runs. Reading it (details,
 *     history, metrics, logs) works for every kind; whether the caller's role allows an action is
 *     the details' answer
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadRow(
    String uid,
    String name,
    String namespace,
    String type,
    String ownerKind,
    String ownerName,
    boolean preemptible,
    String status,
    String statusReason,
    String statusMessage,
    String project,
    String department,
    String createdBy,
    int runningPods,
    int requestedPods,
    Instant createdAt,
    Instant completedAt,
    Instant deletedAt,
    int connections,
    int dataSources,
    String image,
    String architecture,
    double gpuComputeRequest,
    double gpuComputeAllocation,
    Long gpuMemoryRequest,
    long gpuMemoryAllocation,
    double cpuComputeRequest,
    double cpuComputeAllocation,
    long cpuMemoryRequest,
    long cpuMemoryAllocation,
    List<String> nodePools,
    String cluster,
    List<String> actions) {

  public static final String STANDARD = "standard";
  public static final String DISTRIBUTED = "distributed";

  public WorkloadRow {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(status, "status");
    nodePools = nodePools == null ? List.of() : List.copyOf(nodePools);
    // Rows the Deleted view kept from before actions were listed read as having none.
    actions = actions == null ? List.of() : List.copyOf(actions);
  }

  /** The same row as the Deleted view keeps it: its last status and totals, and when it went. */
  public WorkloadRow deleted(Instant when) {
    return new WorkloadRow(uid, name, namespace, type, ownerKind, ownerName, preemptible, status, statusReason, statusMessage, project,
        department, createdBy, runningPods, requestedPods, createdAt, completedAt, when, connections, dataSources,
        image, architecture, gpuComputeRequest, gpuComputeAllocation, gpuMemoryRequest, gpuMemoryAllocation,
        cpuComputeRequest, cpuComputeAllocation, cpuMemoryRequest, cpuMemoryAllocation, nodePools, cluster, actions);
  }
}
