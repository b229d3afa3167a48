package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lines of lines: each step over the lines that have a sample there. */
class CombineTest {
  private static Series.Point p(long time, double value) {
    return new Series.Point(time, value);
  }

  @Test
  void anAverageCountsOnlyTheLinesWithASampleAtTheStep() {
    assertEquals(List.of(p(1, 20), p(2, 30), p(3, 5)),
        Combine.average(List.of(List.of(p(1, 10), p(2, 30)), List.of(p(1, 30), p(3, 5)))));
    assertEquals(List.of(), Combine.average(List.of()));
  }

  @Test
  void aSumAddsWhatIsThereAndScalesIt() {
    assertEquals(List.of(p(1, 8), p(2, 6)), Combine.sum(List.of(List.of(p(1, 1), p(2, 3)), List.of(p(1, 3))), 2));
  }

  @Test
  void aShareCountsOnlyLinesWithACapacityInBothItsSums() {
    Map<String, List<Series.Point>> used = Map.of(
        "a", List.of(p(1, 1), p(2, 1)),
        "b", List.of(p(1, 3)),
        "no-request", List.of(p(1, 100), p(3, 100)));
    Map<String, Double> capacity = Map.of("a", 2.0, "b", 6.0, "no-request", 0.0);

    assertEquals(List.of(p(1, 50), p(2, 50)), Combine.percentOfCapacity(used, capacity::get),
        "at 2 only a ran: 1 of its 2; at 3 only a pod without a request, so no point");
  }
}
