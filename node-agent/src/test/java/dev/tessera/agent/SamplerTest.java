package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.agent.metrics.AgentMetrics;
import dev.tessera.agent.metrics.DcgmMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final FakeGpuBackend gpus = new FakeGpuBackend(4, "NVIDIA L4", 24 * FakeGpuBackend.GIB);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private Sampler sampler(GpuBackend backend, ContainerUsageSource containers, List<Consumer<NodeSnapshot>> listeners) {
    return new Sampler(backend, containers, CLOCK, executor, Duration.ofMillis(20), listeners);
  }

  @Test
  void scrapesReadTheSnapshotAndNeverTheBackend() {
    PrometheusMeterRegistry registry = AgentMetrics.newRegistry();
    Sampler sampler = sampler(gpus, ContainerUsageSource.NONE, List.of(AgentMetrics.register(registry, "n", NodeSnapshot.empty(T0))));
    sampler.sampleOnce();
    int calls = gpus.sampleCalls();
    for (int i = 0; i < 20; i++) {
      String text = AgentMetrics.scrape(registry, new DcgmMetrics("n", ""), sampler.latest());
      assertTrue(text.contains("DCGM_FI_DEV_GPU_UTIL{"), text);
    }
    assertEquals(calls, gpus.sampleCalls(), "a scrape must not reach NVML");
  }

  @Test
  void startSamplesOnceBeforeReturningThenEveryPeriod() throws Exception {
    Sampler sampler = sampler(gpus, ContainerUsageSource.NONE, List.of());
    assertTrue(sampler.latest().gpus().isEmpty(), "nothing before the first sample");
    sampler.start();
    assertEquals(4, sampler.latest().gpus().size(), "the first sample is in when start returns");
    int after = gpus.sampleCalls();
    Await.until(() -> gpus.sampleCalls() >= after + 3, "periodic samples");
    sampler.close();
  }

  @Test
  void snapshotsPairInventoryWithSamplesAndCarryContainers() {
    ContainerUsage c = new ContainerUsage("ns", "p", "uid", "main", FakeGpuBackend.uuid(2), 1, 2);
    NodeSnapshot s = sampler(gpus, () -> List.of(c), List.of()).sampleOnce();
    assertEquals(T0, s.takenAt());
    assertEquals(List.of(0, 1, 2, 3), s.gpus().stream().map(g -> g.info().index()).toList());
    assertEquals(20, s.gpus().get(2).sample().utilizationPercent());
    assertEquals(List.of(c), s.containers());
  }

  @Test
  void aFailingBackendMakesEveryGpuUnhealthyUntilItWorksAgain() {
    FlakyBackend flaky = new FlakyBackend(gpus);
    Sampler sampler = sampler(flaky, ContainerUsageSource.NONE, List.of());
    sampler.sampleOnce();
    flaky.failing = true;
    NodeSnapshot failed = sampler.sampleOnce();
    assertEquals(4, failed.gpus().size(), "the GPUs are still listed");
    assertTrue(failed.gpus().stream().noneMatch(g -> g.sample().healthy()));
    assertEquals("sampling failed: driver gone", failed.gpus().get(0).sample().healthReason());
    flaky.failing = false;
    assertTrue(sampler.sampleOnce().gpus().stream().allMatch(g -> g.sample().healthy()));
  }

  @Test
  void aFailingContainerSourceOrListenerStopsNothing() {
    AtomicInteger told = new AtomicInteger();
    Consumer<NodeSnapshot> broken = s -> {
      throw new IllegalStateException("listener bug");
    };
    ContainerUsageSource failing = () -> {
      throw new IllegalStateException("usage file torn");
    };
    Sampler sampler = sampler(gpus, failing, List.of(broken, s -> told.incrementAndGet()));
    NodeSnapshot s = sampler.sampleOnce();
    assertTrue(s.containers().isEmpty());
    assertEquals(4, s.gpus().size());
    assertEquals(1, told.get(), "later listeners still hear of it");
  }

  @Test
  void aGpuLostFromTheSampleRereadsTheInventory() {
    FlakyBackend flaky = new FlakyBackend(gpus);
    Sampler sampler = sampler(flaky, ContainerUsageSource.NONE, List.of());
    sampler.sampleOnce();
    int reads = flaky.inventoryReads;
    flaky.only = 3; // GPU 3 fell off the bus and NVML no longer lists it
    NodeSnapshot s = sampler.sampleOnce();
    assertEquals(reads + 1, flaky.inventoryReads);
    assertEquals(3, s.gpus().size());
    assertFalse(s.gpus().stream().anyMatch(g -> g.info().index() == 3));
  }

  /** Delegates to the fake, failing or hiding GPUs on demand. */
  private static final class FlakyBackend implements GpuBackend {
    private final GpuBackend inner;
    volatile boolean failing;
    volatile int only = Integer.MAX_VALUE;
    volatile int inventoryReads;

    FlakyBackend(GpuBackend inner) {
      this.inner = inner;
    }

    @Override
    public String description() {
      return "flaky";
    }

    @Override
    public List<GpuInfo> inventory() {
      inventoryReads++;
      return inner.inventory().stream().limit(only).toList();
    }

    @Override
    public List<GpuSample> sample() {
      if (failing) {
        throw new IllegalStateException("driver gone");
      }
      return inner.sample().stream().limit(only).toList();
    }

    @Override
    public void close() {}
  }
}
