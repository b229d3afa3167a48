package dev.tessera.agent;

import dev.tessera.agent.gpu.GpuInfo;

/**
 * Where the agent tells the cluster what happened to the node's GPUs: Kubernetes events on the
 * Node, so that {@code kubectl describe node} shows them beside kubelet's.
 */
public interface NodeEvents {
  /** Records nothing: outside a cluster, and in tests that only read the log. */
  NodeEvents NONE =
      new NodeEvents() {
        @Override
        public void gpuUnhealthy(GpuInfo gpu, String reason) {}

        @Override
        public void gpuHealthy(GpuInfo gpu) {}

        @Override
        public void gpuXid(GpuInfo gpu, int xid, boolean critical) {}
      };

  /** A Warning: the GPU turned unhealthy. Must not block: called on the sampling thread. */
  void gpuUnhealthy(GpuInfo gpu, String reason);

  /** Normal: the GPU is healthy again. */
  void gpuHealthy(GpuInfo gpu);

  /** A Warning: the driver reported an XID on the GPU. */
  void gpuXid(GpuInfo gpu, int xid, boolean critical);
}
