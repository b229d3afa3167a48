package dev.tessera.agent;

import dev.tessera.agent.deviceplugin.DevicePlugin;
import dev.tessera.agent.deviceplugin.DevicePluginConfig;
import dev.tessera.agent.gpu.GpuBackend;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Starts the kubelet device plugin with a Kubernetes client of its own (in-cluster credentials, or
 * the kubeconfig outside a cluster). The client is created only here: an agent without the device
 * plugin loads none of fabric8, which keeps its footprint down.
 */
final class KubeletDevicePlugin implements DevicePluginStarter {
  private final DevicePluginConfig config;
  private final Clock clock;

  KubeletDevicePlugin(DevicePluginConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  @Override
  public AutoCloseable start(GpuBackend gpus, ScheduledExecutorService scheduler) {
    KubernetesClient client = new KubernetesClientBuilder().build();
    DevicePlugin whole = null;
    DevicePlugin shared;
    try {
      // Whole GPUs as nvidia.com/gpu, and shares for fractional pods as tessera.dev/gpu-share: kubelet
      // calls Allocate only for containers asking for a device-plugin resource.
      whole = new DevicePlugin(config, gpus, client, scheduler, clock);
      whole.start();
      shared = new DevicePlugin(
          config.forSharedGpus(DevicePluginConfig.DEFAULT_SHARED_SLOTS), gpus, client, scheduler, clock);
      shared.start();
    } catch (RuntimeException e) {
      if (whole != null) {
        whole.close();
      }
      client.close();
      throw new IllegalStateException("the device plugin did not start: " + e.getMessage(), e);
    }
    DevicePlugin wholePlugin = whole;
    return () -> {
      shared.close();
      wholePlugin.close();
      client.close();
    };
  }
}
