package dev.tessera.agent.gpu;

import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * GPUs that exist only in memory, for tests, CI and the demo. They idle with a little noise until
 * given work ({@link #simulate}); temperature then follows the load over minutes, power and clocks
 * at once. Faults make a GPU answer as a lost or forbidden one does on a real node, until
 * recovered. Everything moves with the injected clock and is fixed by the seed: the same seed,
 * calls and clock readings give the same samples and UUIDs.
 *
 * <p>Thread-safe: the GPUs' states are immutable values swapped under this object's lock.
 */
public final class SimulatedGpuBackend implements GpuBackend {
  /** What a simulated node's driver says it is. */
  public static final String DRIVER_VERSION = "550.54.15";

  private final Clock clock;
  private final String description;
  private final List<GpuInfo> inventory;
  private final SimulatedGpu[] gpus; // guarded by this
  private boolean closed; // guarded by this

  /** GPUs in the order of {@code groups}, numbered from 0. */
  public SimulatedGpuBackend(List<SimulatedGpuSpec> groups, Clock clock, long seed) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("a simulated node needs at least one GPU");
    }
    List<GpuInfo> infos = new ArrayList<>();
    for (SimulatedGpuSpec group : groups) {
      for (int i = 0; i < group.count(); i++) {
        int index = infos.size();
        // A bus per GPU, as on an 8-GPU board; the device node follows the index.
        String bus = String.format("00000000:%02X:00.0", 0x18 + index);
        infos.add(
            new GpuInfo(index, uuid(seed, index), group.model(), group.memoryBytes(), false, bus, index));
      }
    }
    this.inventory = List.copyOf(infos);
    Instant now = clock.instant();
    this.gpus =
        infos.stream().map(info -> SimulatedGpu.idle(info, seed, now)).toArray(SimulatedGpu[]::new);
    this.description =
        "simulated: "
            + groups.stream().map(SimulatedGpuSpec::toString).collect(Collectors.joining(","))
            + ", seed "
            + seed;
  }

  /** For the {@code --simulate} option: {@code 8xNVIDIA-A100-SXM4-80GB:81920}. */
  public static SimulatedGpuBackend fromSpec(String specs, Clock clock, long seed) {
    return new SimulatedGpuBackend(SimulatedGpuSpec.parseList(specs), clock, seed);
  }

  @Override
  public String description() {
    return description;
  }

  /** A fixed version, so that the DCGM_FI_DRIVER_VERSION label is there as on a real node. */
  @Override
  public String driverVersion() {
    return DRIVER_VERSION;
  }

  @Override
  public synchronized List<GpuInfo> inventory() {
    requireOpen();
    return inventory;
  }

  @Override
  public synchronized List<GpuSample> sample() {
    requireOpen();
    Instant now = clock.instant();
    List<GpuSample> samples = new ArrayList<>(gpus.length);
    for (SimulatedGpu gpu : gpus) {
      samples.add(gpu.sampleAt(now));
    }
    return List.copyOf(samples);
  }

  /** Puts work on GPU {@code index}: exactly this memory and utilization, no processes listed. */
  public void simulate(int index, long memoryUsedBytes, int utilizationPercent) {
    simulate(index, memoryUsedBytes, utilizationPercent, List.of());
  }

  /** Puts work on GPU {@code index}: exactly this memory, utilization and process list. */
  public synchronized void simulate(
      int index, long memoryUsedBytes, int utilizationPercent, List<GpuProcess> processes) {
    SimulatedGpu gpu = gpu(index);
    long total = gpu.info().memoryTotalBytes();
    if (memoryUsedBytes < 0 || memoryUsedBytes > total) {
      throw new IllegalArgumentException(
          "GPU " + index + " has " + total + " bytes; cannot use " + memoryUsedBytes);
    }
    if (utilizationPercent < 0 || utilizationPercent > 100) {
      throw new IllegalArgumentException(
          "utilization must be 0..100 percent, was " + utilizationPercent);
    }
    Objects.requireNonNull(processes, "processes");
    gpus[index] = gpu.running(memoryUsedBytes, utilizationPercent, processes, clock.instant());
  }

  /** Takes the work off GPU {@code index}; it cools down from where it is. */
  public synchronized void idle(int index) {
    gpus[index] = gpu(index).idling(clock.instant());
  }

  /** GPU {@code index} answers with {@code fault} until {@link #recover}ed. */
  public synchronized void fail(int index, SimulatedFault fault) {
    gpus[index] = gpu(index).withFault(Objects.requireNonNull(fault, "fault"));
  }

  /**
   * The driver reports XID {@code xid} on GPU {@code index}. It is counted; one that is not an
   * application's fault ({@link XidErrors#critical}) makes the GPU unhealthy until {@link
   * #recover}ed, as a reset would.
   */
  public synchronized void xid(int index, int xid) {
    if (xid <= 0) {
      throw new IllegalArgumentException("an XID is a positive number, was " + xid);
    }
    gpus[index] = gpu(index).withXid(xid);
  }

  /** GPU {@code index} answers again, with the load it had; a critical XID is cleared too. */
  public synchronized void recover(int index) {
    gpus[index] = gpu(index).withFault(null).withoutCriticalXid();
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private SimulatedGpu gpu(int index) {
    if (index < 0 || index >= gpus.length) {
      throw new IllegalArgumentException(
          "no simulated GPU " + index + "; the indexes are 0.." + (gpus.length - 1));
    }
    return gpus[index];
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the simulated GPU backend is closed");
    }
  }

  /** NVML's UUID form, derived from seed and index so that restarts keep a GPU's identity. */
  private static String uuid(long seed, int index) {
    long high = SimulatedGpu.mix(SimulatedGpu.mix(seed) ^ index);
    long low = SimulatedGpu.mix(high);
    return "GPU-" + new UUID(high, low);
  }
}
