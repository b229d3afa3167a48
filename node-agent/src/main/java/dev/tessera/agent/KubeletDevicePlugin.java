package dev.tessera.agent;

import dev.tessera.agent.deviceplugin.DevicePlugin;
import dev.tessera.agent.deviceplugin.DevicePluginConfig;
import dev.tessera.agent.enforce.ComputeShareFiles;
import dev.tessera.agent.enforce.ComputeShareScheduler;
import dev.tessera.agent.enforce.ComputeShareSettings;
import dev.tessera.agent.enforce.ComputeShareState;
import dev.tessera.agent.enforce.GpuMemoryGuard;
import dev.tessera.agent.enforce.KubePodEvents;
import dev.tessera.agent.enforce.PodEvents;
import dev.tessera.agent.enforce.ProcFs;
import dev.tessera.agent.enforce.UsageFiles;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.agent.kube.KubeConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts the kubelet device plugin with an API client of its own (in-cluster credentials, or the
 * kubeconfig outside a cluster), and beside it the {@link GpuMemoryGuard} that takes memory loans
 * back from the shared GPUs the plugin hands out and the {@link ComputeShareScheduler} that lends
 * idle compute shares to busy tenants and takes them back. The client is a small one of ours on the JDK's HTTP client: a
 * full Kubernetes client library would cost the agent tens of MiB of loaded classes.
 */
final class KubeletDevicePlugin implements DevicePluginStarter {
  private final DevicePluginConfig config;
  private final UsageFiles usage;
  private final Optional<ComputeShareSettings> computeShares;
  private final AtomicReference<ComputeShareState> computeState;
  private final Clock clock;

  /**
   * @param usage the same reader the agent's sampler uses, so a broken usage file is reported once
   *     rather than once by each
   * @param computeShares how the node-level compute scheduler runs; empty: it does not, and every
   *     paced pod keeps its own share
   * @param computeState where the compute scheduler's decisions are published for the reports
   */
  KubeletDevicePlugin(
      DevicePluginConfig config,
      UsageFiles usage,
      Optional<ComputeShareSettings> computeShares,
      AtomicReference<ComputeShareState> computeState,
      Clock clock) {
    this.config = config;
    this.usage = usage;
    this.computeShares = computeShares;
    this.computeState = computeState;
    this.clock = clock;
  }

  @Override
  public AutoCloseable start(GpuBackend gpus, ScheduledExecutorService thread, MeterRegistry registry) {
    DevicePlugin whole = null;
    DevicePlugin shared = null;
    GpuMemoryGuard guard;
    ComputeShareScheduler scheduler = null;
    try {
      KubeApi api = new KubeApi(KubeConfig.fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home"))));
      PodEvents events = new KubePodEvents(api, config.nodeName(), clock);
      // Whole GPUs as nvidia.com/gpu, and shares for fractional pods as tessera.dev/gpu-share: kubelet
      // calls Allocate only for containers asking for a device-plugin resource.
      whole = new DevicePlugin(config, gpus, api, thread, clock, events);
      whole.start();
      shared = new DevicePlugin(
          config.forSharedGpus(DevicePluginConfig.DEFAULT_SHARED_SLOTS), gpus, api, thread, clock, events);
      shared.start();
      guard = new GpuMemoryGuard(usage, new ProcFs(Path.of("/proc")), events, registry, clock).start(thread);
      if (computeShares.isPresent()) {
        scheduler = new ComputeShareScheduler(
                new ComputeShareFiles(config.stateDir().resolve("usage")), events, registry, clock,
                computeShares.get(), computeState)
            .start(thread);
      }
    } catch (RuntimeException e) {
      if (shared != null) {
        shared.close();
      }
      if (whole != null) {
        whole.close();
      }
      throw new IllegalStateException("the device plugin did not start: " + e.getMessage(), e);
    }
    DevicePlugin wholePlugin = whole;
    DevicePlugin sharedPlugin = shared;
    ComputeShareScheduler computeScheduler = scheduler;
    return () -> {
      if (computeScheduler != null) {
        computeScheduler.close(); // gives lent shares back now, not when their leases run out
      }
      guard.close();
      sharedPlugin.close();
      wholePlugin.close();
    };
  }
}
