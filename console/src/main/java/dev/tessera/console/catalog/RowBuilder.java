package dev.tessera.console.catalog;

import dev.tessera.api.WellKnown;
import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.table.WorkloadRow;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Computes a workload's table row from the workload, its pods and its project. Pure: the same
 * inputs give the same row, so the catalog can tell a change from a resync by comparing rows.
 *
 * <p>An external workload has no {@link WorkloadSpec}: what its owner asked for is in the owner's
 * spec, which Tessera does not read. Its figures come from its status, written from its pods as
 * for the other kinds, and where there is none yet, from the pods themselves; image, connections
 * and data sources stay empty rather than guessed.
 */
public final class RowBuilder {
  private static final long MIB = 1L << 20;
  private final String cluster;

  /** @param cluster the cluster's name, shown in every row */
  public RowBuilder(String cluster) {
    this.cluster = cluster;
  }

  public WorkloadRow row(WorkloadResource<?> workload, Collection<PodRow> pods, ProjectOf project) {
    WorkloadSpec spec = workload.workload();
    if (spec == null) {
      spec = new WorkloadSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null);
    }
    WorkloadStatus status = workload.statusOrEmpty();
    WorkloadKind kind = workload.workloadKind();
    var meta = workload.getMetadata();
    ExternalWorkloadSpec.Owner owner = ownerOf(workload);
    int requested = status.requestedPods() != null ? status.requestedPods() : requestedPods(workload, pods);
    int running = status.runningPods() != null ? status.runningPods()
        : (int) pods.stream().filter(pod -> pod.status().equals("Running")).count();
    double gpuAllocated = 0;
    long gpuMemoryAllocated = 0;
    double cpuAllocated = 0;
    long memoryAllocated = 0;
    for (PodRow pod : pods) {
      if (pod.holding()) {
        gpuAllocated += pod.gpuComputeAllocation();
        gpuMemoryAllocated += pod.gpuMemoryAllocation();
      }
    }
    WorkloadSpec.GpuSpec gpu = spec.gpu();
    Long gpuMemoryRequest = gpu != null && gpu.memoryMiB() != null
        ? gpu.memoryMiB() * MIB * (gpu.devices() == null ? 1 : gpu.devices()) * requested
        : null;
    WorkloadPhase phase = status.workloadPhase();
    String statusMessage = null;
    if (status.phaseHistory() != null && !status.phaseHistory().isEmpty()) {
      statusMessage = status.phaseHistory().get(status.phaseHistory().size() - 1).message();
    }
    cpuAllocated = quantity(status.cpuAllocated());
    memoryAllocated = (long) quantity(status.memoryAllocated());
    return new WorkloadRow(
        meta.getUid(),
        meta.getName(),
        meta.getNamespace(),
        kind.label(),
        owner == null ? null : owner.kind(),
        owner == null ? null : owner.name(),
        spec.preemptible() != null ? spec.preemptible() : kind.preemptibleByDefault(),
        phase == null ? WorkloadPhase.CREATING.label() : phase.label(),
        status.reason(),
        statusMessage,
        project == null ? null : project.project(),
        project == null ? null : project.department(),
        annotation(workload, WellKnown.CREATED_BY_ANNOTATION),
        running,
        requested,
        time(meta.getCreationTimestamp()),
        time(status.completedAt()),
        null,
        spec.connections() == null ? 0 : spec.connections().size(),
        spec.dataSources() == null ? 0 : spec.dataSources().size(),
        spec.image(),
        gang(workload) ? WorkloadRow.DISTRIBUTED : WorkloadRow.STANDARD,
        status.gpusRequested() != null ? status.gpusRequested() : gpusPerPod(gpu) * requested,
        // The pods' assignments say what each holds, a GPU-memory request's share of its GPU included
        // (the controller's status counts only fractions and whole GPUs); before any pod is seen,
        // the status.
        pods.isEmpty() && status.gpusAllocated() != null ? status.gpusAllocated() : gpuAllocated,
        gpuMemoryRequest,
        gpuMemoryAllocated,
        status.cpuRequested() != null ? quantity(status.cpuRequested()) : quantity(spec.cpu()) * requested,
        cpuAllocated,
        status.memoryRequested() != null ? (long) quantity(status.memoryRequested())
            : (long) quantity(spec.memory()) * requested,
        memoryAllocated,
        spec.nodePools() != null || kind.managedByTessera() ? spec.nodePools() : podPools(pods),
        cluster,
        WorkloadActions.of(kind));
  }

  /** The object whose controller runs an external workload; null for the kinds Tessera runs. */
  private static ExternalWorkloadSpec.Owner ownerOf(WorkloadResource<?> workload) {
    return workload instanceof ExternalWorkloadResource external && external.getSpec() != null
        ? external.getSpec().owner() : null;
  }

  /** Whether its pods are placed as one gang: a distributed training, or an external one of several. */
  private static boolean gang(WorkloadResource<?> workload) {
    if (workload instanceof ExternalWorkloadResource external) {
      return external.getSpec() != null && external.getSpec().minMember() != null
          && external.getSpec().minMember() > 1;
    }
    return workload.workloadKind() == WorkloadKind.DISTRIBUTED_TRAINING;
  }

  /** The pools an external workload's pods asked for, each once, in the order first seen. */
  private static List<String> podPools(Collection<PodRow> pods) {
    LinkedHashSet<String> pools = new LinkedHashSet<>();
    pods.forEach(pod -> pools.addAll(pod.nodePools()));
    return List.copyOf(pools);
  }

  /** A pod as the details list it. */
  public static PodRow pod(Pod pod) {
    var status = pod.getStatus();
    String phase = status == null || status.getPhase() == null ? "Pending" : status.getPhase();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      phase = "Terminating";
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    String pools = pod.getMetadata().getAnnotations() == null ? null
        : pod.getMetadata().getAnnotations().get(WellKnown.NODE_POOLS);
    double gpus = 0;
    long gpuMemory = 0;
    List<Integer> indices = new ArrayList<>();
    String assignment = pod.getMetadata().getAnnotations() == null ? null
        : pod.getMetadata().getAnnotations().get(WellKnown.GPU_ASSIGNMENT);
    if (assignment != null && AssignmentCodec.decode(assignment) instanceof AssignmentCodec.Decoded.Ok ok) {
      for (GpuShare share : ok.assignment().shares()) {
        gpus += share.fraction();
        gpuMemory += share.memoryMiB() * MIB;
        indices.add(share.index());
      }
    }
    List<Container> containers = pod.getSpec() == null ? List.of() : pod.getSpec().getContainers();
    long cpuMillis = 0;
    long memory = 0;
    for (Container container : containers) {
      var resources = container.getResources();
      Map<String, Quantity> requests = resources == null ? null : resources.getRequests();
      Map<String, Quantity> limits = resources == null ? null : resources.getLimits();
      if (requests != null && requests.get("cpu") != null) {
        cpuMillis += (long) (requests.get("cpu").getNumericalAmount().doubleValue() * 1000);
      }
      Quantity memoryBound = limits != null && limits.get("memory") != null ? limits.get("memory")
          : requests == null ? null : requests.get("memory");
      if (memoryBound != null) {
        memory += memoryBound.getNumericalAmount().longValue();
      }
    }
    return new PodRow(
        pod.getMetadata().getName(),
        pod.getMetadata().getUid(),
        phase,
        node == null || node.isEmpty() ? null : node,
        pools == null || pools.isEmpty() ? List.of() : Arrays.asList(pools.split(",")),
        containers.isEmpty() ? null : containers.get(0).getImage(),
        gpus,
        gpuMemory,
        indices,
        cpuMillis,
        memory);
  }

  private static int requestedPods(WorkloadResource<?> workload, Collection<PodRow> pods) {
    if (workload instanceof ExternalWorkloadResource) {
      return pods.size(); // its owner's spec says how many; until its status does, the pods there are
    }
    if (workload instanceof DistributedTrainingResource distributed && distributed.getSpec() != null) {
      Integer workers = distributed.getSpec().elastic() ? distributed.getSpec().minWorkers()
          : distributed.getSpec().workers();
      return 1 + (workers == null ? 0 : workers);
    }
    if (workload instanceof InferenceResource inference && inference.getSpec() != null
        && inference.getSpec().minReplicas() != null) {
      return inference.getSpec().minReplicas();
    }
    return 1;
  }

  private static double gpusPerPod(WorkloadSpec.GpuSpec gpu) {
    if (gpu == null) {
      return 0;
    }
    int devices = gpu.devices() == null ? 1 : gpu.devices();
    if (gpu.count() != null) {
      return gpu.count();
    }
    return gpu.fraction() != null ? gpu.fraction() * devices : 0;
  }

  private static String annotation(WorkloadResource<?> workload, String key) {
    Map<String, String> annotations = workload.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /** A quantity's amount ("500m" is 0.5, "8Gi" is 8589934592); 0 for none or one that does not parse. */
  static double quantity(String text) {
    if (text == null || text.isEmpty()) {
      return 0;
    }
    try {
      return new Quantity(text).getNumericalAmount().doubleValue();
    } catch (RuntimeException e) {
      return 0; // the API server validated it; a value it let through is shown as none, not a failure
    }
  }

  /** An RFC 3339 time, or null for none or one that does not parse. */
  static Instant time(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
