package dev.tessera.extender.telemetry;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.ledger.AgentView;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.proto.agent.v1.ContainerUsage;
import dev.tessera.proto.agent.v1.Gpu;
import dev.tessera.proto.agent.v1.NodeReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an agent's {@link NodeReport} into what placement uses, or says exactly what is wrong with
 * it. A report is all or nothing: one bad GPU or container entry rejects the whole report, so the
 * cache never holds half a node. A container on a GPU the report does not name is left out, not
 * refused: its GPU may be one NVML lost, which the report lists unnamed.
 */
final class ReportReader {
  private static final long MIB = 1024L * 1024;

  /** A usable report, or why not. */
  sealed interface Read {
    /**
     * @param utilization per GPU, by index: percent busy over the agent's last sample
     * @param containers each container's memory on each GPU, for GPUs the report names
     * @param borrowedBytes per GPU, by index: what containers use above their guarantees
     */
    record Ok(
        String node, AgentView view, int[] utilization, List<ContainerMemory> containers, long[] borrowedBytes)
        implements Read {}

    record Invalid(String reason) implements Read {}
  }

  Read read(NodeReport report) {
    String node = report.getNodeName();
    if (node.isBlank()) {
      return new Read.Invalid("node_name is empty; the agent must send its Kubernetes node name");
    }
    if (report.getGpusCount() > GpuNode.MAX_GPUS) {
      return new Read.Invalid(
          "report lists " + report.getGpusCount() + " GPUs; at most " + GpuNode.MAX_GPUS + " are supported");
    }
    List<GpuDevice> gpus = new ArrayList<>(report.getGpusCount());
    int[] utilization = new int[report.getGpusCount()];
    long[] usedMiBs = new long[report.getGpusCount()];
    Map<String, Integer> indexByUuid = new HashMap<>();
    for (int position = 0; position < report.getGpusCount(); position++) {
      Gpu gpu = report.getGpus(position);
      String where = "gpus[" + position + "]";
      if (gpu.getIndex() != position) {
        return new Read.Invalid(where + " has index " + gpu.getIndex() + "; GPUs must be listed by index from 0");
      }
      boolean named = !gpu.getUuid().isBlank();
      if (!named && gpu.getHealthy()) {
        // NVML can refuse a GPU's handle: the agent still lists it, unnamed and unhealthy.
        return new Read.Invalid(where + " has no uuid; only an unhealthy GPU may lack one");
      }
      if (named && indexByUuid.putIfAbsent(gpu.getUuid(), position) != null) {
        return new Read.Invalid(where + " repeats uuid " + gpu.getUuid());
      }
      long totalMiB = Long.divideUnsigned(gpu.getMemoryTotalBytes(), MIB);
      long usedMiB = Long.divideUnsigned(gpu.getMemoryUsedBytes(), MIB);
      if (Long.compareUnsigned(totalMiB, WellKnown.MAX_GPU_MEMORY_MIB) > 0) {
        return new Read.Invalid(where + " claims " + Long.toUnsignedString(gpu.getMemoryTotalBytes())
            + " bytes of memory; more than any GPU has");
      }
      if (Long.compareUnsigned(usedMiB, totalMiB) > 0) {
        return new Read.Invalid(where + " uses " + usedMiB + " MiB of " + totalMiB + " MiB");
      }
      if (!gpu.getHealthy() && gpu.getHealthReason().isBlank()) {
        return new Read.Invalid(where + " is unhealthy without a health_reason");
      }
      if (gpu.getUtilizationPercent() > 100) {
        return new Read.Invalid(where + " is " + gpu.getUtilizationPercent() + "% busy; at most 100 makes sense");
      }
      utilization[position] = gpu.getUtilizationPercent();
      usedMiBs[position] = usedMiB;
      String model = gpu.getModel().isBlank() ? "unknown" : gpu.getModel();
      gpus.add(new GpuDevice(position, named ? gpu.getUuid() : null, model, totalMiB));
    }
    List<ContainerMemory> containers = new ArrayList<>(report.getContainersCount());
    for (int position = 0; position < report.getContainersCount(); position++) {
      ContainerUsage usage = report.getContainers(position);
      String where = "containers[" + position + "]";
      String tooLarge = tooLarge(usage);
      if (tooLarge != null) {
        return new Read.Invalid(where + " " + tooLarge);
      }
      if (usage.getMemoryLimitBytes() > 0 && usage.getMemoryRequestBytes() > usage.getMemoryLimitBytes()) {
        return new Read.Invalid(where + " requests " + usage.getMemoryRequestBytes() + " bytes, above its limit of "
            + usage.getMemoryLimitBytes() + "; a request is at most the limit");
      }
      Integer index = indexByUuid.get(usage.getGpuUuid());
      if (index == null) {
        continue; // no GPU of the report to put its use on
      }
      containers.add(new ContainerMemory(
          usage.getNamespace(), usage.getPod(), usage.getPodUid(), usage.getContainer(), index,
          usage.getMemoryUsedBytes(), usage.getMemoryLimitBytes(), usage.getMemoryRequestBytes()));
    }
    long[] borrowedBytes = MemoryAgreement.borrowedBytes(gpus.size(), containers);
    List<ObservedGpu> observed = new ArrayList<>(gpus.size());
    for (int position = 0; position < gpus.size(); position++) {
      Gpu gpu = report.getGpus(position);
      long borrowedMiB = Math.min(usedMiBs[position], borrowedBytes[position] / MIB);
      observed.add(new ObservedGpu(
          usedMiBs[position], borrowedMiB, gpu.getHealthy(), gpu.getHealthy() ? "" : gpu.getHealthReason()));
    }
    return new Read.Ok(node, new AgentView(gpus, observed), utilization, List.copyOf(containers), borrowedBytes);
  }

  /** Why a container's figures cannot be memory of a GPU (uint64 on the wire), or null. */
  private static String tooLarge(ContainerUsage usage) {
    String used = tooLarge("memory_used_bytes", usage.getMemoryUsedBytes());
    String limit = tooLarge("memory_limit_bytes", usage.getMemoryLimitBytes());
    String request = tooLarge("memory_request_bytes", usage.getMemoryRequestBytes());
    return used != null ? used : limit != null ? limit : request;
  }

  private static String tooLarge(String field, long bytes) {
    return Long.compareUnsigned(bytes, WellKnown.MAX_GPU_MEMORY_MIB * MIB) > 0
        ? "has " + field + " " + Long.toUnsignedString(bytes) + "; more than any GPU has"
        : null;
  }
}
