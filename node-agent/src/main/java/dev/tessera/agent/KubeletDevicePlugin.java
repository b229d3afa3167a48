package dev.tessera.agent;

import dev.tessera.agent.deviceplugin.DevicePlugin;
import dev.tessera.agent.deviceplugin.DevicePluginConfig;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.agent.kube.KubeConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Starts the kubelet device plugin with an API client of its own (in-cluster credentials, or the
 * kubeconfig outside a cluster). The client is a small one of ours on the JDK's HTTP client: a
 * full Kubernetes client library would cost the agent tens of MiB of loaded classes.
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
    DevicePlugin whole = null;
    DevicePlugin shared;
    try {
      KubeApi api = new KubeApi(KubeConfig.fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home"))));
      // Whole GPUs as nvidia.com/gpu, and shares for fractional pods as tessera.dev/gpu-share: kubelet
      // calls Allocate only for containers asking for a device-plugin resource.
      whole = new DevicePlugin(config, gpus, api, scheduler, clock);
      whole.start();
      shared = new DevicePlugin(
          config.forSharedGpus(DevicePluginConfig.DEFAULT_SHARED_SLOTS), gpus, api, scheduler, clock);
      shared.start();
    } catch (RuntimeException e) {
      if (whole != null) {
        whole.close();
      }
      throw new IllegalStateException("the device plugin did not start: " + e.getMessage(), e);
    }
    DevicePlugin wholePlugin = whole;
    return () -> {
      shared.close();
      wholePlugin.close();
    };
  }
}
