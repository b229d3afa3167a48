package dev.tessera.controller.workloads.scaling;

import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What one scrape of a replica's metrics page gave: the series' value, or why there is none.
 *
 * @param value the sum of the series' samples; empty when the scrape failed
 * @param problem why it failed, for logs and events; null when it did not
 */
public record Reading(OptionalDouble value, String problem) {
  public Reading {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty() == (problem == null)) {
      throw new IllegalArgumentException("a reading has a value or a problem, not both nor neither");
    }
  }

  public static Reading of(double value) {
    return new Reading(OptionalDouble.of(value), null);
  }

  public static Reading failed(String problem) {
    return new Reading(OptionalDouble.empty(), Objects.requireNonNull(problem, "problem"));
  }
}
