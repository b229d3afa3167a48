package dev.tessera.console.metrics;

import java.util.List;

/** The metrics a workload's details show, with their units in the names. */
public final class MetricNames {
  /** Percent busy, per GPU and their average. */
  public static final String GPU_UTILIZATION = "gpu_utilization_percent";
  /** GPU memory in use, per GPU. */
  public static final String GPU_MEMORY_USED = "gpu_memory_used_bytes";
  /** CPU in use against the pods' request, in percent. */
  public static final String CPU_UTILIZATION = "cpu_utilization_percent";
  /** Memory in use, in bytes. */
  public static final String CPU_MEMORY_USAGE = "cpu_memory_usage_bytes";
  /** Memory in use against the pods' limit (else request), in percent. */
  public static final String CPU_MEMORY_UTILIZATION = "cpu_memory_utilization_percent";

  public static final List<String> ALL =
      List.of(GPU_UTILIZATION, GPU_MEMORY_USED, CPU_UTILIZATION, CPU_MEMORY_USAGE, CPU_MEMORY_UTILIZATION);

  private MetricNames() {}
}
