package dev.tessera.console.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One pod of a workload, as its details show it.
 *
 * @param name the pod's name
 * @param uid its uid
 * @param status its phase ("Pending", "Running", "Succeeded", "Failed"), or "Terminating"
 * @param node the node it is bound to; null before
 * @param nodePools the pools it asked for
 * @param image its first container's image
 * @param gpuComputeAllocation GPUs it holds (a half GPU is 0.5)
 * @param gpuMemoryAllocation GPU memory it holds, bytes
 * @param gpus the GPUs it holds on its node, by index
 * @param cpuRequestMillis its containers' CPU requests, millicores
 * @param memoryLimitBytes its containers' memory limits (requests where none), bytes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PodRow(
    String name,
    String uid,
    String status,
    String node,
    List<String> nodePools,
    String image,
    double gpuComputeAllocation,
    long gpuMemoryAllocation,
    List<Integer> gpus,
    long cpuRequestMillis,
    long memoryLimitBytes) {
  public PodRow {
    nodePools = List.copyOf(nodePools);
    gpus = List.copyOf(gpus);
  }

  /** Whether it holds its resources: bound and not finished. */
  public boolean holding() {
    return node != null && !status.equals("Succeeded") && !status.equals("Failed");
  }
}
