package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** One GPU's latest samples: bounded, in time order, of one GPU only. */
class SampleRingTest {
  @Test
  void aFullRingKeepsTheLatestSamplesOldestFirst() {
    SampleRing ring = new SampleRing(3);
    for (int i = 1; i <= 5; i++) {
      ring.add(i * 1000L, "GPU-a", "H100", i * 10, i * 100L);
    }

    SampleRing.Samples samples = ring.since(Long.MIN_VALUE);

    assertArrayEquals(new long[] {3000, 4000, 5000}, samples.millis());
    assertArrayEquals(new byte[] {30, 40, 50}, samples.busy());
    assertArrayEquals(new long[] {300, 400, 500}, samples.usedBytes());
    assertEquals("GPU-a", samples.uuid());
    assertEquals("H100", samples.model());
    assertEquals(5000, ring.newest());
  }

  @Test
  void sinceFindsTheFirstSampleAtOrAfterItAcrossTheWrap() {
    SampleRing ring = new SampleRing(4);
    for (int i = 1; i <= 6; i++) {
      ring.add(i * 1000L, "GPU-a", "H100", i, i);
    }

    assertArrayEquals(new long[] {3000, 4000, 5000, 6000}, ring.since(0).millis());
    assertArrayEquals(new long[] {4000, 5000, 6000}, ring.since(3001).millis());
    assertArrayEquals(new long[] {5000, 6000}, ring.since(5000).millis());
    assertArrayEquals(new long[0], ring.since(6001).millis());
  }

  @Test
  void aSampleOlderThanTheNewestIsDropped() {
    SampleRing ring = new SampleRing(4);
    ring.add(2000, "GPU-a", "H100", 1, 1);
    ring.add(1000, "GPU-a", "H100", 2, 2);
    ring.add(2000, "GPU-a", "H100", 3, 3);

    assertArrayEquals(new long[] {2000, 2000}, ring.since(0).millis(), "the same time twice is kept, in order");
    assertArrayEquals(new byte[] {1, 3}, ring.since(0).busy());
  }

  @Test
  void anotherGpuAtTheIndexStartsAfresh() {
    SampleRing ring = new SampleRing(4);
    ring.add(1000, "GPU-a", "H100", 1, 1);
    ring.add(2000, null, "H100", 2, 2);
    ring.add(3000, "GPU-b", "A100", 3, 3);

    SampleRing.Samples samples = ring.since(0);

    assertArrayEquals(new long[] {3000}, samples.millis(), "an unnamed report is taken as the same GPU");
    assertEquals("GPU-b", samples.uuid());
    assertEquals("A100", samples.model());
  }

  @Test
  void anEmptyRingHasNothing() {
    SampleRing ring = new SampleRing(2);

    assertEquals(0, ring.since(0).size());
    assertNull(ring.since(0).uuid());
    assertEquals(Long.MIN_VALUE, ring.newest());
  }

  /**
   * One writer (a node's report stream) wraps a small ring around and around while readers copy it
   * out: each copy must be whole samples, consecutive and in time order, never a slot half written.
   */
  @Test
  void readersCopyOnlyWholeSamplesWhileAWriterWrapsTheRing() throws Exception {
    SampleRing ring = new SampleRing(7);
    int samples = 1_000_000;
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch go = new CountDownLatch(1);
      CountDownLatch readersCopied = new CountDownLatch(3);
      AtomicBoolean writing = new AtomicBoolean(true);
      Future<?> writer = threads.submit(() -> {
        go.await();
        for (int i = 1; i <= samples; i++) {
          ring.add(i, "GPU-a", "H100", i % 101, 3L * i);
          if (i == samples / 2) {
            // So that the readers surely overlap the writes, however the threads are scheduled.
            assertTrue(readersCopied.await(30, TimeUnit.SECONDS), "the readers never copied a sample");
          }
        }
        writing.set(false);
        return null;
      });
      List<Future<Integer>> readers = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        readers.add(threads.submit(() -> {
          go.await();
          int copies = 0;
          boolean counted = false;
          while (writing.get()) {
            SampleRing.Samples copy = ring.since(Long.MIN_VALUE);
            for (int i = 0; i < copy.size(); i++) {
              long at = copy.millis()[i];
              if (i > 0 && at != copy.millis()[i - 1] + 1) {
                throw new AssertionError("not consecutive: " + Arrays.toString(copy.millis()));
              }
              if (copy.busy()[i] != at % 101 || copy.usedBytes()[i] != 3 * at) {
                throw new AssertionError("sample " + at + " half written: " + copy.busy()[i] + ", " + copy.usedBytes()[i]);
              }
            }
            copies++;
            if (!counted && copy.size() > 0) {
              counted = true;
              readersCopied.countDown();
            }
          }
          return copies;
        }));
      }
      go.countDown();
      writer.get(60, TimeUnit.SECONDS);
      for (Future<Integer> reader : readers) {
        assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
      }
      assertArrayEquals(new long[] {samples - 6, samples - 5, samples - 4, samples - 3, samples - 2, samples - 1, samples},
          ring.since(Long.MIN_VALUE).millis());
    } finally {
      threads.shutdownNow();
    }
  }
}
