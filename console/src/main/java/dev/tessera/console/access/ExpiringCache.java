package dev.tessera.console.access;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded map whose entries expire at a time each is given: an expired entry is never returned,
 * and when the map is full the least recently used entry goes. Safe for concurrent use; callers
 * compute values outside it, so two callers may both miss and both put.
 */
final class ExpiringCache<K, V> {
  private record Entry<V>(V value, Instant expires) {}

  private final Clock clock;
  private final Map<K, Entry<V>> entries;

  ExpiringCache(Clock clock, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.clock = clock;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
            return size() > capacity;
          }
        };
  }

  synchronized Optional<V> get(K key) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      return Optional.empty();
    }
    if (!clock.instant().isBefore(entry.expires())) {
      entries.remove(key);
      return Optional.empty();
    }
    return Optional.of(entry.value());
  }

  /** Keeps the value until {@code expires}; one already expired is not kept. */
  synchronized void put(K key, V value, Instant expires) {
    if (clock.instant().isBefore(expires)) {
      entries.put(key, new Entry<>(value, expires));
    }
  }

  synchronized int size() {
    return entries.size();
  }
}
