package dev.tessera.extender.telemetry;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Gauges registered per key (a node, a pod, a project and pool) that come and go with their keys:
 * {@link #retain} registers the new keys' gauges and removes those of keys that went. Their values
 * are read when scraped; only the updating thread calls {@link #retain}.
 */
final class GaugeSet<K> {
  private final MeterRegistry registry;
  private final Function<K, List<Meter>> register;
  private final Map<K, List<Meter>> registered = new HashMap<>();

  GaugeSet(MeterRegistry registry, Function<K, List<Meter>> register) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.register = Objects.requireNonNull(register, "register");
  }

  /** Brings the gauges in line with {@code present}: registers new keys', removes gone keys'. */
  void retain(Set<K> present) {
    registered.entrySet().removeIf(entry -> {
      if (present.contains(entry.getKey())) {
        return false;
      }
      entry.getValue().forEach(registry::remove);
      return true;
    });
    for (K key : present) {
      registered.computeIfAbsent(key, register);
    }
  }

  boolean contains(K key) {
    return registered.containsKey(key);
  }

  Set<K> keys() {
    return registered.keySet();
  }

  int size() {
    return registered.size();
  }
}
