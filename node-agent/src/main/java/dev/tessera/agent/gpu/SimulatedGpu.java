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
 */
record SimulatedGpu(GpuInfo info, long seed, Load load, SimulatedFault fault) {
  static final int IDLE_TEMPERATURE = 32;
  static final int FULL_LOAD_TEMPERATURE = 78;
  /** How fast the temperature follows a change of load: 63% of the way after this long. */
  static final Duration THERMAL_TIME_CONSTANT = Duration.ofSeconds(90);

  static final long IDLE_POWER_MW = 60_000;
  static final long FULL_LOAD_POWER_MW = 400_000;
  static final int IDLE_SM_CLOCK_MHZ = 210;
  static final int BOOST_SM_CLOCK_MHZ = 1410;

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
   */
  record Load(
      boolean pinned,
      long memoryUsedBytes,
      int utilizationPercent,
      List<GpuProcess> processes,
      Instant since,
      double startTemperature) {
    Load {
      processes = List.copyOf(processes);
      Objects.requireNonNull(since, "since");
    }
  }

  SimulatedGpu {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(load, "load");
  }

  /** A GPU that has been idle, and so cool, for a long time. */
  static SimulatedGpu idle(GpuInfo info, long seed, Instant now) {
    Load cool = new Load(false, 0, 0, List.of(), now, IDLE_TEMPERATURE);
    return new SimulatedGpu(info, seed, cool, null);
  }

  /** The same GPU under a new load from {@code now}, starting at the temperature it has reached. */
  SimulatedGpu running(
      long memoryUsedBytes, int utilizationPercent, List<GpuProcess> processes, Instant now) {
    Load next =
        new Load(true, memoryUsedBytes, utilizationPercent, processes, now, temperatureAt(now));
    return new SimulatedGpu(info, seed, next, fault);
  }

  SimulatedGpu idling(Instant now) {
    Load none = new Load(false, 0, 0, List.of(), now, temperatureAt(now));
    return new SimulatedGpu(info, seed, none, fault);
  }

  SimulatedGpu withFault(SimulatedFault newFault) {
    return new SimulatedGpu(info, seed, load, newFault);
  }

  GpuSample sampleAt(Instant now) {
    if (fault != null) {
      return GpuSample.unhealthy(info.index(), fault.reason());
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
    return new GpuSample(
        info.index(),
        true,
        "",
        load.memoryUsedBytes(),
        info.memoryTotalBytes() - load.memoryUsedBytes(),
        utilization,
        power,
        temperature,
        smClock,
        load.processes());
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
