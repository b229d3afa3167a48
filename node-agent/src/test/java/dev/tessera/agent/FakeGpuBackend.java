package dev.tessera.agent;

import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** A GPU backend whose state the test sets; counts how often it was sampled. */
public final class FakeGpuBackend implements GpuBackend {
  public static final long GIB = 1024L * 1024 * 1024;

  private final List<GpuInfo> inventory;
  private final List<GpuSample> samples;
  private volatile int sampleCalls;

  public FakeGpuBackend(int count, String model, long memoryBytes) {
    List<GpuInfo> inv = new ArrayList<>();
    List<GpuSample> s = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inv.add(new GpuInfo(i, uuid(i), model, memoryBytes, false));
      s.add(new GpuSample(i, true, "", GIB * i, memoryBytes - GIB * i, 10 * i, 60_000 + 1_500L * i, 40 + i, 1_400 + i, List.of()));
    }
    this.inventory = List.copyOf(inv);
    this.samples = new CopyOnWriteArrayList<>(s);
  }

  public static String uuid(int index) {
    return "GPU-00000000-0000-0000-0000-00000000000" + index;
  }

  /** Changes what GPU {@code index} reports from now on. */
  public void update(int index, UnaryOperator<GpuSample> change) {
    samples.set(index, change.apply(samples.get(index)));
  }

  public int sampleCalls() {
    return sampleCalls;
  }

  @Override
  public String description() {
    return "fake";
  }

  @Override
  public List<GpuInfo> inventory() {
    return inventory;
  }

  @Override
  public List<GpuSample> sample() {
    sampleCalls++;
    return List.copyOf(samples);
  }

  @Override
  public void close() {}

  /** A copy of {@code s} with a new utilization. */
  public static GpuSample withUtilization(GpuSample s, int percent) {
    return new GpuSample(
        s.index(), s.healthy(), s.healthReason(), s.memoryUsedBytes(), s.memoryFreeBytes(), percent,
        s.powerMilliwatts(), s.temperatureCelsius(), s.smClockMhz(), s.processes());
  }
}
