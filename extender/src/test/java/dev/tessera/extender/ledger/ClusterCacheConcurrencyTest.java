package dev.tessera.extender.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.testing.Await;
import dev.tessera.extender.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Many binds and informer events at once never over-commit a GPU, and readers only see whole states. */
class ClusterCacheConcurrencyTest {
  private static final long GPU_MIB = 81920;
  private static final long SHARE_MIB = 24576; // floor(0.3 * 81920): three fit a GPU, four do not

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final ClusterCache cache =
      new ClusterCache(MutableClock.atEpochOfTests(), Duration.ofSeconds(30), new Placement(PlacementStrategy.BINPACK));

  @AfterEach
  void stopThreads() throws InterruptedException {
    threads.shutdownNow();
    assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
  }

  @ParameterizedTest(name = "{0} GPU(s)")
  @ValueSource(ints = {1, 3, 8})
  void concurrentFractionalAssumesTakeExactlyWhatFits(int gpus) throws Exception {
    cache.upsertNode(node("n1", gpus, PlacementStrategy.BINPACK));
    int contenders = 32;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < contenders; i++) {
      PodKey pod = new PodKey("ml", "p-" + i, "uid-" + i);
      results.add(threads.submit(() -> {
        go.await();
        return cache.assume(pod, "n1", GpuRequest.fraction(0.3, 1)) instanceof ClusterCache.AssumeResult.Assumed;
      }));
    }
    go.countDown();
    int assumed = 0;
    for (Future<Boolean> result : results) {
      assumed += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
    }

    assertEquals(Math.min(contenders, 3 * gpus), assumed);
    NodeState node = cache.snapshot().node("n1");
    for (int gpu = 0; gpu < gpus; gpu++) {
      assertTrue(node.usedMiB(gpu) <= GPU_MIB, "GPU " + gpu + " over-committed: " + node.usedMiB(gpu));
      assertEquals(3 * SHARE_MIB, node.usedMiB(gpu));
    }
    Ledger.assertConsistent(cache.snapshot());
  }

  @Test
  void concurrentWholeAndFractionalAssumesNeverShareAGpuWrongly() throws Exception {
    cache.upsertNode(node("n1", 4, PlacementStrategy.BINPACK));
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      PodKey pod = new PodKey("ml", "p-" + i, "uid-" + i);
      GpuRequest request = i % 2 == 0 ? GpuRequest.whole(1) : GpuRequest.fraction(0.3, 1);
      done.add(threads.submit(() -> {
        go.await();
        return cache.assume(pod, "n1", request);
      }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get(10, TimeUnit.SECONDS);
    }
    Ledger.assertConsistent(cache.snapshot());
    NodeState node = cache.snapshot().node("n1");
    assertEquals(0, node.freeWholeGpus());
    for (int gpu = 0; gpu < 4; gpu++) {
      assertTrue(node.heldWhole(gpu) || node.sharedTenants(gpu) > 0);
    }
  }

  /**
   * Binders assume, confirm (as the informer would) and release pods; another thread changes the
   * node's labels and adds and removes a second node; readers check every snapshot they see.
   */
  @Test
  void readersSeeOnlyConsistentSnapshotsWhileEverythingChanges() throws Exception {
    cache.upsertNode(node("n1", 4, PlacementStrategy.BINPACK));
    cache.upsertNode(node("n2", 2, PlacementStrategy.SPREAD));
    cache.markSynced();
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger nextPod = new AtomicInteger();
    AtomicLong snapshotsChecked = new AtomicLong();
    AtomicLong confirmed = new AtomicLong();
    List<Future<?>> workers = new ArrayList<>();

    for (int b = 0; b < 8; b++) {
      workers.add(threads.submit(guard(failures, () -> {
        List<PodKey> mine = new ArrayList<>();
        while (!stop.get()) {
          int n = nextPod.incrementAndGet();
          PodKey pod = new PodKey("ml", "p-" + n, "uid-" + n);
          String node = n % 3 == 0 ? "n2" : "n1";
          GpuRequest request = switch (n % 4) {
            case 0 -> GpuRequest.whole(1);
            case 1 -> GpuRequest.fraction(0.3, 1);
            case 2 -> GpuRequest.memory(10000, 2);
            default -> GpuRequest.fraction(0.5, 1);
          };
          if (cache.assume(pod, node, request) instanceof ClusterCache.AssumeResult.Assumed assumed) {
            if (n % 5 == 0) {
              cache.forget(pod.uid()); // the bind failed
            } else {
              cache.podBound(pod, assumed.assignment()); // the informer saw it bound
              confirmed.incrementAndGet();
              mine.add(pod);
            }
          } else if (!mine.isEmpty()) {
            cache.podGone(mine.remove(0).uid()); // full: the oldest pod finishes
          }
          if (mine.size() > 3) {
            cache.podGone(mine.remove(0).uid()); // the pod finished
          }
        }
      })));
    }
    workers.add(threads.submit(guard(failures, () -> {
      int round = 0;
      while (!stop.get()) {
        round++;
        cache.upsertNode(node("n1", 4, round % 2 == 0 ? PlacementStrategy.SPREAD : PlacementStrategy.BINPACK));
        if (round % 50 == 0) {
          cache.removeNode("n3");
        } else if (round % 25 == 0) {
          cache.upsertNode(node("n3", 1, null));
        }
        Thread.onSpinWait();
      }
    })));
    for (int r = 0; r < 3; r++) {
      workers.add(threads.submit(guard(failures, () -> {
        long lastVersion = -1;
        while (!stop.get()) {
          ClusterSnapshot snapshot = cache.snapshot();
          if (snapshot.version() == lastVersion) {
            Thread.onSpinWait();
            continue;
          }
          assertTrue(snapshot.version() > lastVersion, "versions only grow");
          lastVersion = snapshot.version();
          Ledger.assertConsistent(snapshot);
          snapshotsChecked.incrementAndGet();
        }
      })));
    }

    runUntil(
        "2,000 confirmed pods and 2,000 snapshots checked",
        () -> confirmed.get() > 2_000 && snapshotsChecked.get() > 2_000,
        stop, workers, failures);
    Ledger.assertConsistent(cache.snapshot());
    // Every allocation in the final snapshot is one the ledger still records.
    cache.snapshot().forEach(node -> node.allocations().forEach((uid, allocation) ->
        assertEquals(allocation, cache.allocation(uid))));
  }

  /**
   * A request's names are resolved in the snapshot of the moment they are read and used in a later
   * one. While nodes are added and removed (which moves the others to new positions) and updated,
   * a name must always lead to that node's state, or to none once it is gone.
   */
  @Test
  void namesResolvedInOneSnapshotFindTheirOwnNodesInLaterOnes() throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      names.add("stable-" + i);
      cache.upsertNode(node("stable-" + i, 1 + i % 8, null));
    }
    cache.markSynced();
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicLong lookups = new AtomicLong();
    AtomicLong moves = new AtomicLong();
    List<Future<?>> workers = new ArrayList<>();
    workers.add(threads.submit(guard(failures, () -> {
      for (int round = 0; !stop.get(); round++) {
        // Removing the node at the front moves every other one; adding puts one at the back.
        cache.removeNode("churn-" + (round % 7));
        cache.upsertNode(node("churn-" + ((round + 3) % 7), 2, null));
        cache.upsertNode(node("stable-" + (round % 40), 1 + round % 40 % 8, PlacementStrategy.SPREAD));
        moves.incrementAndGet();
      }
    })));
    for (int r = 0; r < 3; r++) {
      workers.add(threads.submit(guard(failures, () -> {
        while (!stop.get()) {
          ClusterSnapshot readIn = cache.snapshot();
          RequestedNodes.Builder builder = readIn.requestedNodes();
          for (String name : names) {
            char[] spelled = ("\"" + name + "\"").toCharArray();
            assertTrue(builder.addKnown(spelled, 1, name.length()), name);
          }
          builder.add("churn-5");
          RequestedNodes requested = builder.build();
          ClusterSnapshot later = cache.snapshot();
          for (int i = 0; i < requested.size(); i++) {
            NodeState node = later.node(requested, i);
            if (node != null) {
              assertEquals(requested.name(i), node.name());
            } else {
              assertEquals("churn-5", requested.name(i), "a stable node is never missing");
            }
          }
          lookups.incrementAndGet();
        }
      })));
    }
    runUntil(
        "5,000 requests looked up across 2,000 node moves",
        () -> lookups.get() > 5_000 && moves.get() > 2_000,
        stop, workers, failures);
  }

  /**
   * Lets the workers run until {@code done} or a failure, stops and joins them, and fails with the
   * first worker's failure (the others suppressed).
   */
  private static void runUntil(
      String done,
      BooleanSupplier reached,
      AtomicBoolean stop,
      List<Future<?>> workers,
      ConcurrentLinkedQueue<Throwable> failures)
      throws Exception {
    try {
      Await.await(done, () -> reached.getAsBoolean() || !failures.isEmpty(), Duration.ofSeconds(30));
    } finally {
      stop.set(true);
      for (Future<?> worker : workers) {
        worker.get(10, TimeUnit.SECONDS);
      }
    }
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError("a worker failed: " + failures.peek(), failures.peek());
      failures.forEach(error::addSuppressed);
      throw error;
    }
  }

  private static Runnable guard(ConcurrentLinkedQueue<Throwable> failures, Runnable body) {
    return () -> {
      try {
        body.run();
      } catch (Throwable t) {
        failures.add(t);
      }
    };
  }

  private static GpuNode node(String name, int gpus, PlacementStrategy strategy) {
    List<GpuDevice> devices = new ArrayList<>();
    for (int i = 0; i < gpus; i++) {
      devices.add(new GpuDevice(i, "GPU-" + name + "-" + i, "A100", GPU_MIB));
    }
    return new GpuNode(name, devices, strategy);
  }
}
