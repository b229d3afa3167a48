package dev.tessera.extender.telemetry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Hears each node report {@link AgentReports} accepts, with what the agent measured on each GPU:
 * for keeping a history of GPU use where no Prometheus scrapes the agents (the console's recorder).
 *
 * <p>It is called on the report's gRPC thread while {@link AgentReports} holds its lock, so it
 * must be quick and never block; what it throws is logged and does not refuse the report.
 */
@FunctionalInterface
public interface ReportListener {
  /** Hears nothing; {@link AgentReports} then builds no readings at all. */
  ReportListener NONE = (node, at, gpus) -> {};

  /**
   * @param node the Kubernetes node the report is from
   * @param at when the extender accepted it, by its clock
   * @param gpus every GPU the report lists, by index
   */
  void accepted(String node, Instant at, List<GpuReading> gpus);

  /**
   * One GPU as the report measured it.
   *
   * @param index its index on the node
   * @param uuid its NVML UUID; null for a GPU NVML lost, which a report lists unnamed
   * @param model its product name, "unknown" when the agent did not say
   * @param utilizationPercent how busy it was over the agent's last sample, 0..100; -1 when the
   *     report carried no figure for it
   * @param memoryUsedBytes memory in use on it by anyone, in whole MiB as the extender keeps it
   * @param memoryTotalBytes its memory; 0 when unknown
   */
  record GpuReading(
      int index, String uuid, String model, int utilizationPercent, long memoryUsedBytes, long memoryTotalBytes) {
    public GpuReading {
      Objects.requireNonNull(model, "model");
      if (index < 0) {
        throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
      }
      if (utilizationPercent < -1 || utilizationPercent > 100) {
        throw new IllegalArgumentException("utilization must be 0..100, or -1 when unknown, was " + utilizationPercent);
      }
      if (memoryUsedBytes < 0 || memoryTotalBytes < 0) {
        throw new IllegalArgumentException("memory must be >= 0: " + memoryUsedBytes + ", " + memoryTotalBytes);
      }
    }
  }
}
