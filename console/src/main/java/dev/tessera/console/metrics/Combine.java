package dev.tessera.console.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Lines made of other lines, step by step. A step counts only the lines with a sample there, so a
 * GPU or pod that was not there yet (or no more) neither drags an average down nor adds nothing to
 * a total; a step where none has a sample has no point.
 */
final class Combine {
  private Combine() {}

  /** The mean of the lines at each step. */
  static List<Series.Point> average(List<List<Series.Point>> lines) {
    SortedMap<Long, double[]> sums = new TreeMap<>(); // time -> {sum, count}
    for (List<Series.Point> line : lines) {
      for (Series.Point point : line) {
        double[] sum = sums.computeIfAbsent(point.time(), t -> new double[2]);
        sum[0] += point.value();
        sum[1]++;
      }
    }
    List<Series.Point> out = new ArrayList<>(sums.size());
    sums.forEach((time, sum) -> out.add(new Series.Point(time, sum[0] / sum[1])));
    return out;
  }

  /** The lines added up at each step, times {@code scale} (a unit's size). */
  static List<Series.Point> sum(Collection<List<Series.Point>> lines, double scale) {
    SortedMap<Long, double[]> sums = new TreeMap<>();
    for (List<Series.Point> line : lines) {
      for (Series.Point point : line) {
        sums.computeIfAbsent(point.time(), t -> new double[1])[0] += point.value();
      }
    }
    List<Series.Point> out = new ArrayList<>(sums.size());
    sums.forEach((time, sum) -> out.add(new Series.Point(time, sum[0] * scale)));
    return out;
  }

  /**
   * At each step, the lines' sum as a percentage of the sum of their capacities, over the lines
   * whose capacity is above 0: a pod without a request has nothing its use is a share of, so it is
   * left out of both sums rather than pushing the share up. No point where none has a capacity.
   */
  static <K> List<Series.Point> percentOfCapacity(
      Map<K, List<Series.Point>> lines, ToDoubleFunction<K> capacity) {
    SortedMap<Long, double[]> sums = new TreeMap<>(); // time -> {used, capacity}
    for (Map.Entry<K, List<Series.Point>> line : lines.entrySet()) {
      double of = capacity.applyAsDouble(line.getKey());
      if (!(of > 0)) {
        continue;
      }
      for (Series.Point point : line.getValue()) {
        double[] sum = sums.computeIfAbsent(point.time(), t -> new double[2]);
        sum[0] += point.value();
        sum[1] += of;
      }
    }
    List<Series.Point> out = new ArrayList<>(sums.size());
    sums.forEach((time, sum) -> out.add(new Series.Point(time, 100 * sum[0] / sum[1])));
    return out;
  }
}
