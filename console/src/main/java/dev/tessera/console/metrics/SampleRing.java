package dev.tessera.console.metrics;

import java.util.Objects;

/**
 * One GPU's latest samples, oldest overwritten first: a fixed {@value #BYTES_PER_SAMPLE} bytes a
 * sample, allocated once. Kept in time order; a sample older than the newest (a clock stepped
 * back) is dropped rather than sorted in. Safe for concurrent use.
 */
final class SampleRing {
  /** A time (8), a utilization (1) and a memory figure (8). */
  static final int BYTES_PER_SAMPLE = 17;

  /**
   * Samples in time order, copied out of the ring and owned by the reader; {@code busy} is -1 where
   * a report had none. A class, not a record: its arrays are neither compared nor copied again.
   */
  static final class Samples {
    private final String uuid;
    private final String model;
    private final long[] millis;
    private final byte[] busy;
    private final long[] usedBytes;

    Samples(String uuid, String model, long[] millis, byte[] busy, long[] usedBytes) {
      this.uuid = uuid;
      this.model = model;
      this.millis = millis;
      this.busy = busy;
      this.usedBytes = usedBytes;
    }

    /** The GPU's UUID; null when no report named it. */
    String uuid() {
      return uuid;
    }

    String model() {
      return model;
    }

    long[] millis() {
      return millis;
    }

    byte[] busy() {
      return busy;
    }

    long[] usedBytes() {
      return usedBytes;
    }

    int size() {
      return millis.length;
    }
  }

  // Everything below, the arrays' elements included, is guarded by this.
  private final long[] millis;
  private final byte[] busy;
  private final long[] usedBytes;
  /** The GPU the samples are of: null until a report names it. */
  private String uuid;

  private String model = "unknown";
  /** Where the next sample goes. */
  private int next;

  private int size;

  SampleRing(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a ring holds at least one sample, not " + capacity);
    }
    millis = new long[capacity];
    busy = new byte[capacity];
    usedBytes = new long[capacity];
  }

  /**
   * @param gpuUuid null when the report did not name the GPU; another UUID than before means another
   *     GPU now has this index, and the old one's samples are not its history
   * @param busyPercent 0..100, or -1 when unknown
   */
  synchronized void add(long at, String gpuUuid, String gpuModel, int busyPercent, long used) {
    Objects.requireNonNull(gpuModel, "gpuModel");
    if (gpuUuid != null && uuid != null && !gpuUuid.equals(uuid)) {
      size = 0;
      next = 0;
    }
    if (size > 0 && at < newestLocked()) {
      return;
    }
    if (gpuUuid != null) {
      uuid = gpuUuid;
    }
    model = gpuModel;
    millis[next] = at;
    busy[next] = (byte) busyPercent;
    usedBytes[next] = used;
    next = (next + 1) % millis.length;
    size = Math.min(size + 1, millis.length);
  }

  /** The samples taken at or after {@code from}, oldest first. */
  synchronized Samples since(long from) {
    int oldest = (next - size + millis.length) % millis.length;
    // The ring is in time order from its oldest slot: find the first one at or after {@code from}.
    int low = 0;
    int high = size;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (millis[(oldest + mid) % millis.length] < from) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    int count = size - low;
    long[] times = new long[count];
    byte[] busyOut = new byte[count];
    long[] usedOut = new long[count];
    for (int i = 0; i < count; i++) {
      int slot = (oldest + low + i) % millis.length;
      times[i] = millis[slot];
      busyOut[i] = busy[slot];
      usedOut[i] = usedBytes[slot];
    }
    return new Samples(uuid, model, times, busyOut, usedOut);
  }

  /** When the newest sample was taken; {@link Long#MIN_VALUE} when there is none. */
  synchronized long newest() {
    return size == 0 ? Long.MIN_VALUE : newestLocked();
  }

  private long newestLocked() {
    return millis[(next - 1 + millis.length) % millis.length];
  }
}
