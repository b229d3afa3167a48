package dev.tessera.extender.telemetry;

import dev.tessera.extender.cluster.AgentView;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.model.WellKnown;
import dev.tessera.proto.agent.v1.Gpu;
import dev.tessera.proto.agent.v1.NodeReport;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns an agent's {@link NodeReport} into what placement uses, or says exactly what is wrong with
 * it. A report is all or nothing: one bad GPU entry rejects the whole report, so the cache never
 * holds half a node.
 */
final class ReportReader {
  private static final long MIB = 1024L * 1024;

  /** A usable report, or why not. */
  sealed interface Read {
    /** @param utilization per GPU, by index: percent busy over the agent's last sample */
    record Ok(String node, AgentView view, int[] utilization) implements Read {}

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
    List<ObservedGpu> observed = new ArrayList<>(report.getGpusCount());
    int[] utilization = new int[report.getGpusCount()];
    Set<String> uuids = new HashSet<>();
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
      if (named && !uuids.add(gpu.getUuid())) {
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
      String model = gpu.getModel().isBlank() ? "unknown" : gpu.getModel();
      gpus.add(new GpuDevice(position, named ? gpu.getUuid() : null, model, totalMiB));
      observed.add(new ObservedGpu(usedMiB, gpu.getHealthy(), gpu.getHealthy() ? "" : gpu.getHealthReason()));
    }
    return new Read.Ok(node, new AgentView(gpus, observed), utilization);
  }
}
