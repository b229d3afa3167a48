package dev.tessera.controller.workloads.policy;

import java.math.BigDecimal;

/** Numbers as people write them in messages: "4", "0.5", never "4.0". */
final class Messages {
  private Messages() {}

  static String number(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return String.valueOf(value);
    }
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** "1 GPU", "4 GPUs", "0.5 GPUs". */
  static String gpus(double value) {
    return number(value) + (value == 1 ? " GPU" : " GPUs");
  }
}
