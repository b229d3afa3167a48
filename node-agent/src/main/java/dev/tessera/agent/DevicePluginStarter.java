package dev.tessera.agent;

import dev.tessera.agent.gpu.GpuBackend;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Starts the kubelet device plugin over the agent's GPU backend, or does nothing where there is no
 * kubelet to serve (a simulated agent on a laptop, tests).
 */
@FunctionalInterface
public interface DevicePluginStarter {
  DevicePluginStarter NONE = (gpus, scheduler, registry) -> () -> {};

  /**
   * @param scheduler a thread the plugin may use for its periodic work; owned by the agent
   * @param registry the agent's metrics, for the plugin's own
   * @return what stops it
   */
  AutoCloseable start(GpuBackend gpus, ScheduledExecutorService scheduler, MeterRegistry registry) throws Exception;
}
