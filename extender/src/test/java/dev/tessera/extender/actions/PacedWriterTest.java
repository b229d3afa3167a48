package dev.tessera.extender.actions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.extender.testing.Await;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PacedWriterTest {
  private static final long SECOND = 1_000_000_000L;

  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
  private final AtomicLong now = new AtomicLong();

  @AfterEach
  void stop() {
    thread.shutdownNow();
  }

  @Test
  void theBucketGivesItsBurstThenOneTokenPerIntervalAndSaysHowLongToWait() {
    PacedWriter.TokenBucket bucket = new PacedWriter.TokenBucket(10, 3, 0);
    assertEquals(0, bucket.take(0));
    assertEquals(0, bucket.take(0));
    assertEquals(0, bucket.take(0));
    assertEquals(SECOND / 10, bucket.take(0), "empty: the next token comes in a tenth of a second");
    assertEquals(SECOND / 20, bucket.take(SECOND / 20), "half of it has come");
    assertEquals(0, bucket.take(SECOND / 10));
    assertEquals(0, bucket.take(10 * SECOND));
    assertEquals(0, bucket.take(10 * SECOND));
    assertEquals(0, bucket.take(10 * SECOND));
    assertEquals(SECOND / 10, bucket.take(10 * SECOND), "an idle bucket holds no more than its burst");
  }

  @Test
  void writesRunInOrderTheBurstAtOnceTheRestAsTimeAllows() {
    PacedWriter writer = new PacedWriter(thread, 10, 3, now::get);
    List<Integer> ran = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 8; i++) {
      int n = i;
      writer.execute(() -> ran.add(n));
    }
    Await.await("the burst to be written", () -> ran.size() == 3);
    assertEquals(5, writer.waiting(), "the clock has not moved: the rest wait");

    now.addAndGet(SECOND / 10 * 2); // two tokens' worth
    Await.await("two more writes", () -> ran.size() == 5);
    now.addAndGet(SECOND);
    Await.await("the rest", () -> ran.size() == 8);
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), ran);
  }

  @Test
  void aFailingWriteDoesNotStopTheOthers() {
    PacedWriter writer = new PacedWriter(thread, 1000, 10, now::get);
    List<String> ran = new CopyOnWriteArrayList<>();
    writer.execute(() -> {
      throw new IllegalStateException("API server said no");
    });
    writer.execute(() -> ran.add("next"));
    Await.await("the write after the failure", () -> ran.equals(List.of("next")));
  }

  @Test
  void aShutDownWriterRefusesWork() throws InterruptedException {
    PacedWriter writer = new PacedWriter(thread, 10, 1, now::get);
    thread.shutdown();
    thread.awaitTermination(5, TimeUnit.SECONDS);
    assertThrows(RejectedExecutionException.class, () -> writer.execute(() -> {}));
  }
}
