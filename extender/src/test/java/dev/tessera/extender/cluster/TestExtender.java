package dev.tessera.extender.cluster;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.testing.Await;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** One extender's cluster side, wired as the real one is: cache, informers, binder, events. */
final class TestExtender implements AutoCloseable {
  static final Duration ASSUME_TTL = Duration.ofSeconds(30);

  final ClusterCache cache;
  final RecordingPodEvents events = new RecordingPodEvents();
  final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  final ClusterInformers informers;
  final Binder binder;

  TestExtender(KubernetesClient client, Clock clock, Duration resync) {
    this.cache = new ClusterCache(clock, ASSUME_TTL, new Placement(PlacementStrategy.BINPACK));
    this.informers = new ClusterInformers(client, cache, events, new DoubleBookings(events, registry), resync, scheduler);
    this.binder = new Binder(client);
  }

  TestExtender(KubernetesClient client) {
    this(client, Clock.systemUTC(), Duration.ZERO);
  }

  TestExtender start() {
    informers.start(Duration.ofSeconds(20));
    return this;
  }

  /** The bind path as the webhook runs it: assume, bind, forget on failure. */
  GpuAssignment assumeAndBind(PodKey pod, String node, GpuRequest request) {
    ClusterCache.AssumeResult result = cache.assume(pod, node, request);
    if (!(result instanceof ClusterCache.AssumeResult.Assumed assumed)) {
      throw new AssertionError("assume refused for " + pod + ": " + result);
    }
    BindResult bound = binder.bind(pod, node, assumed.assignment());
    if (!bound.ok()) {
      cache.forget(pod.uid());
      throw new AssertionError(bound.message());
    }
    return assumed.assignment();
  }

  /** The pod's allocation once the informer has confirmed it. */
  Allocation awaitConfirmed(PodKey pod) {
    return Await.awaitValue(
        "the informer to confirm " + pod,
        () -> {
          Allocation allocation = cache.allocation(pod.uid());
          return allocation != null && !allocation.assumed() ? allocation : null;
        });
  }

  void awaitGone(PodKey pod) {
    Await.await("the cache to release " + pod, () -> cache.allocation(pod.uid()) == null);
  }

  @Override
  public void close() {
    informers.close();
    scheduler.shutdownNow();
  }
}
