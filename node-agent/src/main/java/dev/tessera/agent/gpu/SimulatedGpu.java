package dev.tessera.agent.gpu;

import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One simulated GPU: what it is, the load put on it and since when, and any fault. Its figures are
 * a pure function of this state, the seed and the time, so a given clock and seed give the same
 * samples however often, and from whichever thread, they are taken.
 *
 * @param fault the fault the GPU answers with, or null when it is healthy
 * @param xids the XIDs reported for it
 * @param criticalXid the critical XID that makes it unhealthy until recovered; 0 for none
 */
record SimulatedGpu(
    GpuInfo info, long seed, Load load, SimulatedFault fault, XidErrors xids, int criticalXid) {
  static final int IDLE_TEMPERATURE = 32;
  static final int FULL_LOAD_TEMPERATURE = 78;
  /** How fast the temperature follows a change of load: 63% of the way after this long. */
  static final Duration THERMAL_TIME_CONSTANT = Duration.ofSeconds(90);

  static final long IDLE_POWER_MW = 60_000;
  static final long FULL_LOAD_POWER_MW = 400_000;
  static final int IDLE_SM_CLOCK_MHZ = 210;
  static final int BOOST_SM_CLOCK_MHZ = 1410;
  static final int IDLE_MEMORY_CLOCK_MHZ = 405;
  static final int BUSY_MEMORY_CLOCK_MHZ = 1593;
  /** HBM runs a few degrees above the core. */
  static final int MEMORY_TEMPERATURE_OFFSET = 4;
  /**
   * What the driver keeps of each GPU's framebuffer for itself: nothing on a simulated GPU, so that
   * used + free stays its whole memory, as the demo and the extender's tests expect.
   */
  static final long RESERVED_BYTES = 0;
  /** NVLink traffic at full load, KiB per second. */
  static final long NVLINK_FULL_LOAD_KIB_PER_SECOND = 8L * 1024 * 1024;

  // Distinct noise streams per figure, so that power does not wiggle in step with temperature.
  private static final int UTILIZATION_NOISE = 1;
  private static final int TEMPERATURE_NOISE = 2;
  private static final int POWER_NOISE = 3;
  private static final int CLOCK_NOISE = 4;

  /**
   * The work on the GPU.
   *
   * @param pinned set by the test or demo; an unpinned GPU idles with a little noise
   * @param since when this load began, which is where the temperature starts moving from
   * @param startTemperature the temperature at {@code since}
   * @param startEnergyMillijoules the energy counter at {@code since}
   * @param startNvlinkKib the NVLink counter at {@code since}
   */
  record Load(
      boolean pinned,
      long memoryUsedBytes,
      int utilizationPercent,
      List<GpuProcess> processes,
      Instant since,
      double startTemperature,
      long startEnergyMillijoules,
      long startNvlinkKib) {
    Load {
      processes = List.copyOf(processes);
      Objects.requireNonNull(since, "since");
    }
  }

  SimulatedGpu {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(load, "load");
    Objects.requireNonNull(xids, "xids");
  }

  /** A GPU that has been idle, and so cool, for a long time. */
  static SimulatedGpu idle(GpuInfo info, long seed, Instant now) {
    Load cool = new Load(false, 0, 0, List.of(), now, IDLE_TEMPERATURE, 0, 0);
    return new SimulatedGpu(info, seed, cool, null, XidErrors.NONE, 0);
  }

  /** The same GPU under a new load from {@code now}, starting at the temperature it has reached. */
  SimulatedGpu running(
      long memoryUsedBytes, int utilizationPercent, List<GpuProcess> processes, Instant now) {
    Load next =
        new Load(
            true, memoryUsedBytes, utilizationPercent, processes, now, temperatureAt(now),
            energyAt(now), nvlinkAt(now));
    return new SimulatedGpu(info, seed, next, fault, xids, criticalXid);
  }

  SimulatedGpu idling(Instant now) {
    Load none =
        new Load(false, 0, 0, List.of(), now, temperatureAt(now), energyAt(now), nvlinkAt(now));
    return new SimulatedGpu(info, seed, none, fault, xids, criticalXid);
  }

  SimulatedGpu withFault(SimulatedFault newFault) {
    return new SimulatedGpu(info, seed, load, newFault, xids, criticalXid);
  }

  SimulatedGpu withXid(int xid) {
    int critical = XidErrors.critical(xid) ? xid : criticalXid;
    return new SimulatedGpu(info, seed, load, fault, xids.plus(xid), critical);
  }

  SimulatedGpu withoutCriticalXid() {
    return new SimulatedGpu(info, seed, load, fault, xids, 0);
  }

  GpuSample sampleAt(Instant now) {
    if (fault != null) {
      return GpuSample.unhealthy(info.index(), fault.reason(), xids);
    }
    long second = now.getEpochSecond();
    int utilization =
        load.pinned()
            ? load.utilizationPercent()
            : (int) Math.round(1 + noise(UTILIZATION_NOISE, second));
    int temperature = (int) Math.round(temperatureAt(now) + 0.6 * noise(TEMPERATURE_NOISE, second));
    long power =
        Math.round(
            IDLE_POWER_MW
                + (FULL_LOAD_POWER_MW - IDLE_POWER_MW) * utilization / 100.0
                + 3_000 * noise(POWER_NOISE, second));
    // Under load the clock boosts, then sheds a few MHz to heat, as real boards do.
    int smClock =
        load.utilizationPercent() == 0
            ? IDLE_SM_CLOCK_MHZ
            : BOOST_SM_CLOCK_MHZ - (int) Math.round(22.5 * (1 + noise(CLOCK_NOISE, second)));
    boolean busy = load.utilizationPercent() > 0;
    GpuFigures figures =
        new GpuFigures(
            RESERVED_BYTES,
            busy ? BUSY_MEMORY_CLOCK_MHZ : IDLE_MEMORY_CLOCK_MHZ,
            temperature + MEMORY_TEMPERATURE_OFFSET,
            energyAt(now),
            0,
            utilization * 6 / 10,
            0,
            0,
            nvlinkAt(now),
            0,
            0,
            0,
            // Host-to-device traffic follows the load, as input batches do.
            utilization * 120L,
            utilization * 480L,
            0,
            0);
    long free = info.memoryTotalBytes() - load.memoryUsedBytes() - RESERVED_BYTES;
    GpuSample sample =
        new GpuSample(
            info.index(),
            true,
            "",
            load.memoryUsedBytes(),
            free,
            utilization,
            power,
            temperature,
            smClock,
            load.processes(),
            figures,
            xids);
    return criticalXid == 0 ? sample : sample.unhealthyFor(XidErrors.reason(criticalXid));
  }

  /** The energy counter: the load's mean power (without noise) integrated since it began. */
  long energyAt(Instant now) {
    double milliwatts =
        IDLE_POWER_MW + (FULL_LOAD_POWER_MW - IDLE_POWER_MW) * load.utilizationPercent() / 100.0;
    long millis = Math.max(0, Duration.between(load.since(), now).toMillis());
    // mW times ms is µJ: a thousandth of the mJ the counter is in.
    return load.startEnergyMillijoules() + Math.round(milliwatts * millis / 1000.0);
  }

  /** The NVLink counter: traffic in proportion to the load since it began. */
  long nvlinkAt(Instant now) {
    long millis = Math.max(0, Duration.between(load.since(), now).toMillis());
    return load.startNvlinkKib()
        + NVLINK_FULL_LOAD_KIB_PER_SECOND * load.utilizationPercent() / 100 * millis / 1000;
  }

  /** Newton's cooling: the load's temperature approached exponentially from the start's. */
  double temperatureAt(Instant now) {
    double target =
        IDLE_TEMPERATURE
            + (FULL_LOAD_TEMPERATURE - IDLE_TEMPERATURE) * load.utilizationPercent() / 100.0;
    // A clock set back is treated as no time passed, never as heat flowing backwards.
    double elapsed = Math.max(0, Duration.between(load.since(), now).toMillis());
    double remaining = Math.exp(-elapsed / THERMAL_TIME_CONSTANT.toMillis());
    return target + (load.startTemperature() - target) * remaining;
  }

  /** Deterministic noise in [-1, 1) for one figure of this GPU in one second (SplitMix64). */
  private double noise(int figure, long second) {
    long z = mix(seed ^ info.index() * 0x9E3779B97F4A7C15L);
    z = mix(z ^ figure * 0xC2B2AE3D27D4EB4FL);
    z = mix(z ^ second);
    return (z >>> 11) * 0x1.0p-52 - 1;
  }

  static long mix(long value) {
    long z = value + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
