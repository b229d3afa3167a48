package dev.tessera.extender.actions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded set of keys seen recently, for "say it once" deduplication of logs and events: when
 * full, the oldest key is dropped (and may then be said again). Thread-safe.
 */
public final class RecentKeys {
  private final Map<String, Boolean> keys;

  public RecentKeys(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    }
    this.keys =
        new LinkedHashMap<>(Math.min(capacity, 1024) * 2, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > capacity;
          }
        };
  }

  /** True the first time a key is offered (while it is remembered), false after. */
  public synchronized boolean firstTime(String key) {
    return keys.putIfAbsent(key, Boolean.TRUE) == null;
  }

  /** Forgets a key, so that it counts as new again. */
  synchronized void forget(String key) {
    keys.remove(key);
  }

  /** Forgets every key starting with the prefix (e.g. everything about one node). */
  public synchronized void forgetPrefix(String prefix) {
    keys.keySet().removeIf(key -> key.startsWith(prefix));
  }

  synchronized int size() {
    return keys.size();
  }
}
