package dev.tessera.extender.telemetry;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.ledger.AgentView;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.proto.agent.v1.ComputeShares;
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
  /** 64 PiB: no node lends more host memory; a larger figure is corruption. */
  private static final long MAX_SWAP_MIB = 64L << 30;
  /** The device plugin's slots per GPU at most: no GPU has more tenants. */
  private static final long MAX_TENANTS_PER_GPU = 1024;

  /** A usable report, or why not. */
  sealed interface Read {
    /**
     * @param utilization per GPU, by index: percent busy over the agent's last sample
     * @param containers each container's memory on each GPU, for GPUs the report names
     * @param borrowedBytes per GPU, by index: what containers use above their guarantees
     * @param computeLent per GPU, by index: compute share lent to busy tenants, percent; -1 where the
     *     report says nothing
     * @param computeIdle per GPU, by index: compute share that could be lent, percent; -1 likewise
     */
    record Ok(
        String node,
        AgentView view,
        int[] utilization,
        List<ContainerMemory> containers,
        long[] borrowedBytes,
        int[] computeLent,
        int[] computeIdle)
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
    if (Long.compareUnsigned(report.getSwapHostBytes(), MAX_SWAP_MIB * MIB) > 0) {
      return new Read.Invalid("swap_host_bytes is " + Long.toUnsignedString(report.getSwapHostBytes())
          + "; more host memory than any node lends");
    }
    List<GpuDevice> gpus = new ArrayList<>(report.getGpusCount());
    int[] utilization = new int[report.getGpusCount()];
    int[] guaranteed = new int[report.getGpusCount()];
    int[] lent = new int[report.getGpusCount()];
    int[] idle = new int[report.getGpusCount()];
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
      String shares = computeShares(gpu, position, guaranteed, lent, idle);
      if (shares != null) {
        return new Read.Invalid(where + ".compute_shares " + shares);
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
          usedMiBs[position], borrowedMiB, gpu.getHealthy(), gpu.getHealthy() ? "" : gpu.getHealthReason(),
          guaranteed[position]));
    }
    long swapMiB = Long.divideUnsigned(report.getSwapHostBytes(), MIB);
    return new Read.Ok(node, new AgentView(gpus, observed, swapMiB), utilization, List.copyOf(containers), borrowedBytes,
        lent, idle);
  }

  /**
   * Fills the GPU's compute-share figures (-1 where the report has none); what is wrong with them,
   * or null. Guaranteed shares may add up past 100 (something over-committed the GPU), but not past
   * 100 per tenant; what is lent or idle is a part of the GPU.
   */
  private static String computeShares(Gpu gpu, int position, int[] guaranteed, int[] lent, int[] idle) {
    if (!gpu.hasComputeShares()) {
      guaranteed[position] = ObservedGpu.UNKNOWN;
      lent[position] = -1;
      idle[position] = -1;
      return null;
    }
    ComputeShares shares = gpu.getComputeShares();
    long tenants = Integer.toUnsignedLong(shares.getTenants());
    long sum = Integer.toUnsignedLong(shares.getGuaranteedPercent());
    if (tenants > MAX_TENANTS_PER_GPU || sum > 100 * tenants) {
      return "says " + tenants + " paced tenant(s) are guaranteed " + sum + "% together; each holds at most 100%"
          + " and a GPU at most " + MAX_TENANTS_PER_GPU + " tenants";
    }
    if (Integer.toUnsignedLong(shares.getLentPercent()) > 100 || Integer.toUnsignedLong(shares.getIdlePercent()) > 100) {
      return "says " + Integer.toUnsignedString(shares.getLentPercent()) + "% is lent and "
          + Integer.toUnsignedString(shares.getIdlePercent()) + "% idle; each is at most 100%";
    }
    guaranteed[position] = (int) sum;
    lent[position] = shares.getLentPercent();
    idle[position] = shares.getIdlePercent();
    return null;
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
