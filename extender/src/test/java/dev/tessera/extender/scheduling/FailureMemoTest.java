package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FailureMemoTest {

  @Test
  void remembersEveryKeyAcrossGrowth() {
    FailureMemo memo = new FailureMemo();
    Map<Long, Refusal> expected = new HashMap<>();
    Random random = new Random(7);
    for (int i = 0; i < 5_000; i++) {
      long key = i % 3 == 0 ? i : random.nextLong() & Long.MAX_VALUE;
      if (!expected.containsKey(key)) {
        Refusal failure = new Refusal("reason " + i, i % 2 == 0);
        assertSame(failure, memo.put(key, failure));
        expected.put(key, failure);
      }
    }
    expected.forEach((key, failure) -> assertSame(failure, memo.get(key), "key " + key));
    assertNull(memo.get(-1L));
  }

  @Test
  void refusesTheReservedEmptyKey() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new FailureMemo().put(Long.MIN_VALUE, new Refusal("x", false)));
  }

  @Test
  void keepsItsReasonsForTheSameRequestAndDropsThemForAnother() {
    FailureMemo memo = new FailureMemo().forRequest(dev.tessera.extender.model.GpuRequest.fraction(0.5, 1));
    Refusal failure = memo.put(7, new Refusal("full", false));

    assertSame(failure, memo.forRequest(dev.tessera.extender.model.GpuRequest.fraction(0.5, 1)).get(7));
    assertNull(memo.forRequest(dev.tessera.extender.model.GpuRequest.fraction(0.25, 1)).get(7));
  }

  @Test
  void startsOverOnceFull() {
    dev.tessera.extender.model.GpuRequest request = dev.tessera.extender.model.GpuRequest.whole(1);
    FailureMemo memo = new FailureMemo().forRequest(request);
    for (int i = 0; i < FailureMemo.MAX_ENTRIES - 1; i++) {
      memo.put(i, new Refusal("r" + i, false));
    }
    assertNotNull(memo.forRequest(request).get(5), "kept while below the cap");

    memo.put(FailureMemo.MAX_ENTRIES, new Refusal("last", false));
    assertNull(memo.forRequest(request).get(5), "emptied at the cap");
  }
}
