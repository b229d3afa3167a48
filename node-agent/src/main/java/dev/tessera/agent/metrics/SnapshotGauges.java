package dev.tessera.agent.metrics;

import dev.tessera.agent.NodeSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * Gauges over the latest {@link NodeSnapshot}. A scrape reads the snapshot held here and nothing
 * else: no NVML call, no file read, no lock.
 *
 * <p>The sampler calls {@link #accept} with each new snapshot. Series that the new snapshot has no
 * figure for are removed before it becomes visible and new series are added after, so a scrape
 * never sees a series whose figure is missing (it would read NaN) in between.
 */
public final class SnapshotGauges implements Consumer<NodeSnapshot> {
  private final AtomicReference<NodeSnapshot> view;
  private final List<Family> families;

  public SnapshotGauges(MeterRegistry registry, NodeSnapshot initial, List<GaugeFamily> definitions) {
    this.view = new AtomicReference<>(initial);
    List<Family> fs = new ArrayList<>(definitions.size());
    for (GaugeFamily d : definitions) {
      fs.add(new Family(d, MultiGauge.builder(d.name()).description(d.help()).register(registry)));
    }
    this.families = List.copyOf(fs);
    accept(initial);
  }

  /** Publishes a new snapshot. Called by one thread (the sampler's) at a time. */
  @Override
  public void accept(NodeSnapshot next) {
    List<Map<Tags, ToDoubleFunction<NodeSnapshot>>> nextSeries = new ArrayList<>(families.size());
    for (Family f : families) {
      Map<Tags, ToDoubleFunction<NodeSnapshot>> s = f.definition.series().apply(next);
      nextSeries.add(s);
      f.retainOnly(s);
    }
    view.set(next);
    for (int i = 0; i < families.size(); i++) {
      families.get(i).addAll(nextSeries.get(i));
    }
  }

  /** One registered family and the series it currently exposes. */
  private final class Family {
    private final GaugeFamily definition;
    private final MultiGauge gauge;
    private Map<Tags, ToDoubleFunction<NodeSnapshot>> current = Map.of();

    Family(GaugeFamily definition, MultiGauge gauge) {
      this.definition = definition;
      this.gauge = gauge;
    }

    void retainOnly(Map<Tags, ToDoubleFunction<NodeSnapshot>> next) {
      if (next.keySet().containsAll(current.keySet())) {
        return; // nothing to remove: the common case, every second
      }
      Map<Tags, ToDoubleFunction<NodeSnapshot>> kept = new LinkedHashMap<>(current);
      kept.keySet().retainAll(next.keySet());
      register(kept);
    }

    void addAll(Map<Tags, ToDoubleFunction<NodeSnapshot>> next) {
      if (current.keySet().equals(next.keySet())) {
        return;
      }
      register(next);
    }

    private void register(Map<Tags, ToDoubleFunction<NodeSnapshot>> series) {
      List<MultiGauge.Row<?>> rows = new ArrayList<>(series.size());
      series.forEach(
          (tags, reader) -> rows.add(MultiGauge.Row.of(tags, view, v -> reader.applyAsDouble(v.get()))));
      // overwrite=false: series already registered keep their gauge; missing ones are removed.
      gauge.register(rows, false);
      current = Map.copyOf(series);
    }
  }
}
