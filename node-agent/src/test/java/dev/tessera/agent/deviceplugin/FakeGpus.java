package dev.tessera.agent.deviceplugin;

import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A node's GPUs for the tests: fixed inventory, health set by the test. Thread-safe. */
final class FakeGpus implements GpuBackend {
  static final long GIB = 1024L * 1024 * 1024;

  private final List<GpuInfo> inventory;
  /** Index to the reason it is unhealthy; absent when healthy. */
  private final Map<Integer, String> unhealthy = new ConcurrentHashMap<>();
  private volatile RuntimeException failure;

  FakeGpus(List<GpuInfo> inventory) {
    this.inventory = List.copyOf(inventory);
  }

  /** {@code count} 80 GiB GPUs with UUIDs GPU-0000, GPU-0001, ... */
  static FakeGpus of(int count) {
    List<GpuInfo> gpus = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      gpus.add(new GpuInfo(i, uuid(i), "NVIDIA H100 80GB HBM3", 80 * GIB, false));
    }
    return new FakeGpus(gpus);
  }

  static String uuid(int index) {
    return String.format("GPU-%04d", index);
  }

  void setUnhealthy(int index, String reason) {
    unhealthy.put(index, reason);
  }

  void setHealthy(int index) {
    unhealthy.remove(index);
  }

  /** Makes {@link #sample} throw, as a backend that lost the driver would. */
  void fail(RuntimeException e) {
    failure = e;
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
    RuntimeException e = failure;
    if (e != null) {
      throw e;
    }
    List<GpuSample> samples = new ArrayList<>();
    for (GpuInfo gpu : inventory) {
      String reason = unhealthy.get(gpu.index());
      samples.add(reason != null
          ? GpuSample.unhealthy(gpu.index(), reason)
          : new GpuSample(gpu.index(), true, "", 0, gpu.memoryTotalBytes(), 0, 0, 40, 1000, List.of()));
    }
    return samples;
  }

  @Override
  public void close() {}
}
