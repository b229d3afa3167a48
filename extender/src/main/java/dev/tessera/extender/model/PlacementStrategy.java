package dev.tessera.extender.model;

import java.util.Locale;

/** How to choose among nodes and GPUs that fit. */
public enum PlacementStrategy {
  /** Fill partly used GPUs and nodes first, keeping whole GPUs free for whole-GPU work. */
  BINPACK,
  /** Put each pod where the most is free, to lower interference between tenants. */
  SPREAD;

  /** Parses {@code binpack} / {@code spread} (any case); throws with the accepted values. */
  public static PlacementStrategy parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown placement strategy '" + text + "': use binpack or spread", e);
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
