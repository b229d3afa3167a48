package dev.tessera.agent.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;

/**
 * Keeps names that are already written the Prometheus way exactly as written, and gives dotted
 * Micrometer names ({@code jvm.memory.used}) the usual Prometheus treatment.
 *
 * <p>Why: Micrometer's {@link PrometheusNamingConvention} lowercases nothing but does append unit
 * suffixes and rewrites names, so {@code DCGM_FI_DEV_GPU_UTIL} with a unit would come out as
 * {@code DCGM_FI_DEV_GPU_UTIL_percent}, and NVIDIA's stock Grafana dashboard would find nothing.
 * A name with no dot is taken to be final.
 */
public final class ExactNamesConvention implements NamingConvention {
  private final NamingConvention prometheus = new PrometheusNamingConvention();

  @Override
  public String name(String name, Meter.Type type, String baseUnit) {
    return name.indexOf('.') < 0 ? name : prometheus.name(name, type, baseUnit);
  }

  /** Label names keep their case: dcgm-exporter's are {@code UUID}, {@code modelName}, {@code Hostname}. */
  @Override
  public String tagKey(String key) {
    return prometheus.tagKey(key);
  }
}
