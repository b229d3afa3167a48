package dev.tessera.extender.scheduling;

import dev.tessera.extender.model.GpuRequest;
import java.util.Arrays;

/**
 * Failures already explained for one request, by a key that captures everything their reason
 * says. Thousands of nodes fail for a handful of distinct reasons ("needs 1 whole GPU; 0 of 8 free
 * (8 held whole, 0 shared by fractions)"), so each reason is built once, not once per node. Keys
 * are only meaningful for one request: {@link #forRequest} empties the memo when the request
 * changes, so one memo per thread serves call after call (kube-scheduler retries the same pods,
 * and a job's pods ask alike). Not thread-safe.
 */
public final class FailureMemo {
  private static final long EMPTY = Long.MIN_VALUE;
  private static final int INITIAL_CAPACITY = 64;
  /** Past this many reasons the memo starts over, so a long run of changing ledgers cannot grow it. */
  static final int MAX_ENTRIES = 4096;

  private GpuRequest request;

  /**
   * Readies the memo for explaining {@code request}'s failures: kept as it is when the request is
   * the one it already holds reasons for, emptied otherwise. Returns this memo.
   */
  public FailureMemo forRequest(GpuRequest request) {
    if (!request.equals(this.request) || size >= MAX_ENTRIES) {
      clear();
      this.request = request;
    }
    return this;
  }

  private void clear() {
    if (size > 0) {
      if (keys.length > INITIAL_CAPACITY * 4) {
        keys = newKeys(INITIAL_CAPACITY);
        values = new Refusal[INITIAL_CAPACITY];
      } else {
        Arrays.fill(keys, EMPTY);
        Arrays.fill(values, null);
      }
      size = 0;
    }
  }

  private long[] keys = newKeys(INITIAL_CAPACITY);
  private Refusal[] values = new Refusal[INITIAL_CAPACITY];
  private int size;

  /** The failure remembered for the key, or null. */
  Refusal get(long key) {
    int mask = keys.length - 1;
    for (int slot = mix(key) & mask; ; slot = (slot + 1) & mask) {
      long found = keys[slot];
      if (found == key) {
        return values[slot];
      }
      if (found == EMPTY) {
        return null;
      }
    }
  }

  /** Remembers the failure for the key and returns it. */
  Refusal put(long key, Refusal failure) {
    if (key == EMPTY) {
      throw new IllegalArgumentException("reserved key");
    }
    if (2 * (size + 1) > keys.length) {
      grow();
    }
    insert(keys, values, key, failure);
    size++;
    return failure;
  }

  private void grow() {
    long[] oldKeys = keys;
    Refusal[] oldValues = values;
    keys = newKeys(oldKeys.length * 2);
    values = new Refusal[oldKeys.length * 2];
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        insert(keys, values, oldKeys[i], oldValues[i]);
      }
    }
  }

  private static void insert(long[] keys, Refusal[] values, long key, Refusal failure) {
    int mask = keys.length - 1;
    int slot = mix(key) & mask;
    while (keys[slot] != EMPTY && keys[slot] != key) {
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    values[slot] = failure;
  }

  private static long[] newKeys(int capacity) {
    long[] keys = new long[capacity];
    Arrays.fill(keys, EMPTY);
    return keys;
  }

  private static int mix(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }
}
