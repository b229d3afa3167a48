package dev.tessera.controller.workloads.policy;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Optional;

/** CPU and memory figures as Kubernetes writes them ("500m", "4", "32Gi"), compared by value. */
final class Quantities {
  private Quantities() {}

  /** The value in base units (cores, bytes), or empty when {@code text} is not a quantity. */
  static Optional<BigDecimal> parse(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Quantity.getAmountInBytes(Quantity.parse(text.trim())));
    } catch (RuntimeException e) { // fabric8 throws IllegalArgument/Arithmetic/NumberFormat
      return Optional.empty();
    }
  }
}
