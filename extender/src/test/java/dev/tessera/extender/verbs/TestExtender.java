package dev.tessera.extender.verbs;

import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.extender.actions.BindResult;
import dev.tessera.extender.actions.Binder;
import dev.tessera.extender.actions.RecordingPodEvents;
import dev.tessera.extender.informers.ClusterInformers;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.DoubleBookings;
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
public final class TestExtender implements AutoCloseable {
  public static final Duration ASSUME_TTL = Duration.ofSeconds(30);

  public final ClusterCache cache;
  public final RecordingPodEvents events = new RecordingPodEvents();
  public final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  public final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  public final ClusterInformers informers;
  public final Binder binder;

  public TestExtender(KubernetesClient client, Clock clock, Duration resync) {
    this.cache = new ClusterCache(clock, ASSUME_TTL, new Placement(PlacementStrategy.BINPACK));
    this.informers = new ClusterInformers(client, cache, events, new DoubleBookings(events, registry), resync, scheduler);
    this.binder = new Binder(client);
  }

  public TestExtender(KubernetesClient client) {
    this(client, Clock.systemUTC(), Duration.ZERO);
  }

  public TestExtender start() {
    informers.start(Duration.ofSeconds(20));
    return this;
  }

  /** The bind path as the webhook runs it: assume, bind, forget on failure. */
  public GpuAssignment assumeAndBind(PodKey pod, String node, GpuRequest request) {
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
  public Allocation awaitConfirmed(PodKey pod) {
    return Await.awaitValue(
        "the informer to confirm " + pod,
        () -> {
          Allocation allocation = cache.allocation(pod.uid());
          return allocation != null && !allocation.assumed() ? allocation : null;
        });
  }

  public void awaitGone(PodKey pod) {
    Await.await("the cache to release " + pod, () -> cache.allocation(pod.uid()) == null);
  }

  @Override
  public void close() {
    informers.close();
    scheduler.shutdownNow();
  }
}
