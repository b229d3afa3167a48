package dev.tessera.agent.metrics;

import dev.tessera.agent.NodeSnapshot;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * One gauge name whose series come and go with the node's state (GPUs, their owners, containers).
 *
 * @param name the exposed name, final (see {@link ExactNamesConvention})
 * @param help the {@code # HELP} text
 * @param series for a snapshot: the series it has a figure for, each with how to read that figure
 *     from whichever snapshot is current when scraped. A figure that is unknown in the snapshot
 *     has no series at all, rather than a sentinel value.
 */
public record GaugeFamily(
    String name, String help, Function<NodeSnapshot, Map<Tags, ToDoubleFunction<NodeSnapshot>>> series) {
  public GaugeFamily {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(help, "help");
    Objects.requireNonNull(series, "series");
  }
}
