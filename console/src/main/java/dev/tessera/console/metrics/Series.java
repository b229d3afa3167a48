package dev.tessera.console.metrics;

import java.util.List;
import java.util.Map;

/**
 * One line of a chart.
 *
 * @param metric one of the names in {@link MetricNames}
 * @param labels what this line is of: {@code gpu} (index), {@code uuid}, {@code node}, {@code pod};
 *     {@code aggregate: "average"} for the average line
 * @param points the samples, oldest first; a step with no sample has no point
 */
public record Series(String metric, Map<String, String> labels, List<Point> points) {
  public Series {
    labels = Map.copyOf(labels);
    points = List.copyOf(points);
  }

  /**
   * A sample.
   *
   * @param time seconds since the epoch
   * @param value the value, in the metric's unit
   */
  public record Point(long time, double value) {}
}
