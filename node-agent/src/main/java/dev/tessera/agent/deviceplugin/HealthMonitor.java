package dev.tessera.agent.deviceplugin;

import dev.tessera.agent.deviceplugin.DeviceSnapshot.DeviceState;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the GPUs' health every period and tells its listeners when the device list changes (a
 * GPU turns unhealthy or healthy, appears or goes away). A backend that throws makes every GPU
 * unhealthy until it answers again: kubelet then stops handing them to new containers.
 */
final class HealthMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

  private final GpuBackend gpus;
  private final int slotsPerGpu;
  private final Duration period;
  private final ScheduledExecutorService scheduler;
  private final List<Consumer<DeviceSnapshot>> listeners = new CopyOnWriteArrayList<>();

  private final Object lock = new Object();
  /** Guarded by lock. */
  private DeviceSnapshot current = new DeviceSnapshot(0, List.of());
  /** Guarded by lock. */
  private ScheduledFuture<?> polling;
  /** Guarded by lock. */
  private boolean closed;

  HealthMonitor(GpuBackend gpus, Duration period, ScheduledExecutorService scheduler) {
    this(gpus, 1, period, scheduler);
  }

  HealthMonitor(GpuBackend gpus, int slotsPerGpu, Duration period, ScheduledExecutorService scheduler) {
    this.gpus = Objects.requireNonNull(gpus, "gpus");
    this.slotsPerGpu = slotsPerGpu;
    this.period = Objects.requireNonNull(period, "period");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
  }

  /** Samples once now, so the first ListAndWatch has the devices, then every period. */
  void start() {
    poll();
    synchronized (lock) {
      if (closed || polling != null) {
        return;
      }
      long millis = period.toMillis();
      polling = scheduler.scheduleWithFixedDelay(this::pollQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }
    log.info("GPU health is sampled every {} from {}", period, gpus.description());
  }

  DeviceSnapshot current() {
    synchronized (lock) {
      return current;
    }
  }

  /** Called with every new list, on the sampling thread; must not block. */
  void addListener(Consumer<DeviceSnapshot> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Samples now; returns the list, new or unchanged. */
  DeviceSnapshot poll() {
    List<DeviceState> devices = sample();
    DeviceSnapshot changed;
    synchronized (lock) {
      if (devices.equals(current.devices())) {
        return current;
      }
      logChanges(current.devices(), devices, current.generation() == 0);
      current = new DeviceSnapshot(current.generation() + 1, devices);
      changed = current;
    }
    for (Consumer<DeviceSnapshot> listener : listeners) {
      try {
        listener.accept(changed);
      } catch (RuntimeException e) {
        log.error("a device list listener failed: {}", e.toString(), e);
      }
    }
    return changed;
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (polling != null) {
        polling.cancel(false);
      }
    }
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      // Never let the scheduled task die: it would stop all later health updates.
      log.error("GPU health sampling failed: {}", e.toString(), e);
    }
  }

  private List<DeviceState> sample() {
    List<GpuInfo> inventory = gpus.inventory();
    Map<Integer, GpuSample> samples = new HashMap<>();
    String failure = null;
    try {
      for (GpuSample sample : gpus.sample()) {
        samples.put(sample.index(), sample);
      }
    } catch (RuntimeException e) {
      failure = "the GPU backend failed: " + e.getMessage();
      log.warn("sampling the GPUs failed ({}); reporting every GPU unhealthy until it answers again", e.toString());
    }
    List<DeviceState> devices = new ArrayList<>(inventory.size() * slotsPerGpu);
    for (GpuInfo gpu : inventory) {
      GpuSample sample = samples.get(gpu.index());
      boolean healthy;
      String reason;
      if (failure != null) {
        healthy = false;
        reason = failure;
      } else if (sample == null) {
        healthy = false;
        reason = "no sample for this GPU";
      } else {
        healthy = sample.healthy();
        reason = sample.healthReason();
      }
      String name = gpu.uuid();
      if (name.isEmpty()) {
        // NVML refused this GPU's handle: it still takes a slot (unhealthy) so kubelet's count stays true.
        name = "GPU-unnamed-" + gpu.index();
        if (healthy) {
          healthy = false;
          reason = "NVML gives no UUID for this GPU";
        }
      }
      for (int slot = 0; slot < slotsPerGpu; slot++) {
        devices.add(new DeviceState(SlotIds.of(name, slot, slotsPerGpu), gpu.index(), healthy, reason));
      }
    }
    return List.copyOf(devices);
  }

  private static void logChanges(List<DeviceState> before, List<DeviceState> after, boolean first) {
    if (first) {
      long healthy = after.stream().filter(DeviceState::healthy).count();
      log.info("{} GPU(s) offered to kubelet, {} healthy", after.size(), healthy);
    }
    Map<String, DeviceState> old = new HashMap<>();
    before.forEach(d -> old.put(d.id(), d));
    for (DeviceState device : after) {
      DeviceState was = old.remove(device.id());
      if (was == null && first && device.healthy()) {
        continue;
      }
      if (was == null || was.healthy() != device.healthy()) {
        if (device.healthy()) {
          log.info("GPU {} ({}) is healthy{}", device.index(), device.id(), was == null ? " (new)" : " again");
        } else {
          log.warn(
              "GPU {} ({}) is unhealthy: {}. kubelet will not give it to new containers until it"
                  + " recovers; check the GPU with nvidia-smi and the kernel log",
              device.index(), device.id(), device.reason());
        }
      }
    }
    for (DeviceState gone : old.values()) {
      log.warn("GPU {} ({}) is gone from the node; kubelet is told it no longer exists", gone.index(), gone.id());
    }
  }
}
