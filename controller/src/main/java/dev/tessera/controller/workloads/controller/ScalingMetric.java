package dev.tessera.controller.workloads.controller;

import dev.tessera.api.workloads.InferenceSpec;
import java.util.Locale;
import java.util.Optional;

/**
 * The metrics an Inference scales on, and how each tells its figures in a ScaledUp or ScaledDown
 * event. All three are a load the ready replicas carry together and a target per replica; the
 * replicas wanted are the load over the target, rounded up.
 */
enum ScalingMetric {
  /** Each replica's busiest GPU, percent, from the node agents; the target is the average to hold. */
  GPU_UTILIZATION(InferenceSpec.GPU_UTILIZATION) {
    @Override
    String figures(double load, int replicas, int target) {
      return "average GPU utilisation " + Math.round(load / replicas) + "% over " + replicas
          + " ready replica(s), target " + target + "%";
    }
  },
  /** Requests in flight, from each replica's metrics page. */
  CONCURRENCY(InferenceSpec.CONCURRENCY) {
    @Override
    String figures(double load, int replicas, int target) {
      return figure(load) + " request(s) in flight over " + replicas + " ready replica(s), target " + target
          + " per replica";
    }
  },
  /** The rate of a request counter, from each replica's metrics page. */
  REQUESTS_PER_SECOND(InferenceSpec.REQUESTS_PER_SECOND) {
    @Override
    String figures(double load, int replicas, int target) {
      return figure(load) + " request(s) per second over " + replicas + " ready replica(s), target " + target
          + " per replica";
    }
  };

  private final String label;

  ScalingMetric(String label) {
    this.label = label;
  }

  /** The name the spec writes. */
  String label() {
    return label;
  }

  /** The metric {@code label} names, if any. */
  static Optional<ScalingMetric> of(String label) {
    for (ScalingMetric metric : values()) {
      if (metric.label.equals(label)) {
        return Optional.of(metric);
      }
    }
    return Optional.empty();
  }

  /**
   * What the decision was made on, for people.
   *
   * @param load the load summed over the ready replicas (for GPUs, the sum of their percentages)
   */
  abstract String figures(double load, int replicas, int target);

  /** 12, or 37.5: whole figures without decimals, others with one. */
  static String figure(double value) {
    double rounded = Math.round(value * 10) / 10.0;
    return rounded == Math.rint(rounded) ? Long.toString((long) rounded) : String.format(Locale.ROOT, "%.1f", rounded);
  }
}
