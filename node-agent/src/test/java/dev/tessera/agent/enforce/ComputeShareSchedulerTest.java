package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import dev.tessera.agent.gpu.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The node-level compute scheduler over a simulated GPU whose tenants the native library paces
 * (see {@link SimulatedComputeGpu}), with the clock moving only as the test moves it: what lending
 * gains, how fast a lent share comes back, and what the scheduler tells.
 */
class ComputeShareSchedulerTest {
  private static final Instant START = Instant.parse("2026-03-01T08:00:00Z");
  private static final ComputeShareSettings SETTINGS = ComputeShareSettings.DEFAULT;
  private static final Duration TICK = SETTINGS.interval();

  private final TestClock clock = new TestClock(START);
  private final SimulatedComputeGpu gpu = new SimulatedComputeGpu("GPU-1", START);
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ComputeShareScheduler scheduler = new ComputeShareScheduler(gpu, new PodEvents() {
    @Override
    public void warning(ClaimRecord pod, String reason, String message) {
      events.add("Warning " + pod.pod() + " " + reason + ": " + message);
    }

    @Override
    public void normal(ClaimRecord pod, String reason, String message) {
      events.add(pod.pod() + " " + reason + ": " + message);
    }
  }, registry, clock, SETTINGS);

  /** Runs the GPU for {@code ticks} ticks, the scheduler at the end of each. */
  private void ticks(int ticks) {
    for (int i = 0; i < ticks; i++) {
      gpu.run(TICK);
      clock.advance(TICK);
      scheduler.tick();
    }
  }

  /** The GPU's busy share over {@code time}, with no ticks in between being needed. */
  private double busyOver(int ticks) {
    double[] sum = {0};
    int[] steps = {0};
    for (int i = 0; i < ticks; i++) {
      gpu.run(TICK, (at, got) -> {
        sum[0] += got.values().stream().mapToDouble(Double::doubleValue).sum();
        steps[0]++;
      });
      clock.advance(TICK);
      scheduler.tick();
    }
    return sum[0] / steps[0];
  }

  @Test
  void idleSharesLentToBusyTenantsFillTheGpu() {
    gpu.tenant("a", 30, 100);
    gpu.tenant("b", 30, 100);
    gpu.tenant("idle", 40, 0);
    gpu.run(Duration.ofMillis(500)); // before the agent starts: each held to its own share
    double before = gpu.read().stream().mapToLong(ComputeTenant::chargedNanos).sum() / 5e6;

    ticks(8); // measured, lent, and followed by the library
    double after = busyOver(8);

    assertEquals(60, before, 1, "held to 30 + 30, the GPU idles 40%");
    assertEquals(90, after, 1, "the idle 40% lent, less the 10 points of headroom its owner keeps");
    assertEquals(30 + 15, gpu.get("a").written(clock.instant()), "the idle owner's 30 lendable points, split by weight");
    assertEquals(40, gpu.get("idle").written(clock.instant()));
  }

  @ParameterizedTest(name = "owner busy {0} ms into a tick")
  @ValueSource(ints = {0, 1, 60, 125, 200, 249})
  void aLentShareComesBackWithinTheBound(int offsetMillis) {
    gpu.tenant("borrower", 30, 100);
    SimulatedComputeGpu.Tenant owner = gpu.tenant("owner", 70, 0);
    ticks(8);
    assertEquals(90, gpu.get("borrower").written(clock.instant()), "lent all but the owner's headroom");

    gpu.run(Duration.ofMillis(offsetMillis));
    Instant busy = gpu.now();
    owner.demand = 100;
    // The owner's guarantee is kept (it gets its 70) from the bound on, whatever the tick's phase.
    Instant guaranteedFrom = busy.plus(SETTINGS.reclaimBound());
    Instant[] writtenBack = {null};
    List<String> shortfalls = new ArrayList<>();
    Duration rest = TICK.minusMillis(offsetMillis);
    for (int tick = 0; tick < 6; tick++) {
      gpu.run(rest, (at, got) -> {
        if (!at.isBefore(guaranteedFrom) && got.get("owner") < 70 - 1e-9) {
          shortfalls.add(at + ": " + got);
        }
      });
      clock.advance(tick == 0 ? rest.plusMillis(offsetMillis) : TICK);
      scheduler.tick();
      if (writtenBack[0] == null && gpu.get("borrower").written(clock.instant()) == 30) {
        writtenBack[0] = clock.instant();
      }
      rest = TICK;
    }

    assertNotNull(writtenBack[0], "taken back");
    Duration took = Duration.between(busy, writtenBack[0]);
    assertTrue(took.compareTo(TICK.multipliedBy(2)) <= 0, "the agent wrote it back " + took + " after the owner got busy");
    assertEquals(List.of(), shortfalls, "the owner below its 70% after the bound of " + SETTINGS.reclaimBound());
    double recorded = registry.get("tessera.gpu.compute.share.reclaim").timer().max(TimeUnit.MILLISECONDS);
    assertTrue(recorded <= TICK.multipliedBy(2).toMillis(), "the reclaim histogram's worst: " + recorded + " ms");
    assertEquals(1, registry.get("tessera.gpu.compute.share.reclaims").tag("reason", "owner-busy").counter().count());
  }

  @Test
  void theBorrowerIsToldOnceAMinuteWhatItBorrowsAndWhenItIsTakenBack() {
    gpu.tenant("borrower", 30, 100);
    SimulatedComputeGpu.Tenant owner = gpu.tenant("owner", 70, 0);
    ticks(6);
    assertEquals(1, events.size(), events.toString());
    assertEquals("borrower GpuComputeShareLent: may use up to 90% of GPU GPU-1's compute, above its own 30%, while"
        + " it wants more and the GPU's other tenants leave theirs idle (team/owner uses 0% of its 70%). What it"
        + " borrows goes back to its owners within 0.62 s of their needing it", events.get(0));

    owner.demand = 70;
    ticks(2);
    assertEquals(2, events.size(), events.toString());
    assertTrue(events.get(1).startsWith("borrower GpuComputeShareReclaimed: back to 30% of GPU GPU-1's compute (from"
        + " 90%): team/owner needs its share again; taken back 0."), events.get(1));

    owner.demand = 0; // lent again, taken back again: within the minute, no new events
    ticks(6);
    owner.demand = 70;
    ticks(2);
    assertEquals(2, events.size(), events.toString());
    assertEquals(2, registry.get("tessera.gpu.compute.share.lends").counter().count(), "the counters count them all");

    clock.advance(Duration.ofMinutes(1));
    gpu.run(Duration.ofMinutes(1));
    owner.demand = 0;
    ticks(6);
    assertEquals(3, events.size(), events.toString());
    assertTrue(events.get(2).endsWith("(and 1 time more since the last such event)"), events.get(2));
  }

  @Test
  void aTenantArrivingTakesItsShareFromWhatWasLentOfNobodys() {
    gpu.tenant("borrower", 50, 100);
    ticks(2);
    assertEquals(100, gpu.get("borrower").written(clock.instant()), "the other half is nobody's");

    gpu.tenant("newcomer", 40, 100);
    ticks(1);

    assertEquals(60, gpu.get("borrower").written(clock.instant()), "the 10 points still nobody's");
    assertEquals(1, registry.get("tessera.gpu.compute.share.reclaims").tag("reason", "tenant-arrived").counter().count());
  }

  @Test
  void metricsShowEachContainersSharesAndEachGpusLoans() {
    gpu.tenant("borrower", 30, 100);
    gpu.tenant("owner", 70, 0);
    ticks(6);

    assertEquals(30, gauge(ComputeShareScheduler.TENANT_SHARE, "borrower", "guaranteed"));
    assertEquals(90, gauge(ComputeShareScheduler.TENANT_SHARE, "borrower", "effective"));
    assertEquals(70, gauge(ComputeShareScheduler.TENANT_SHARE, "owner", "effective"));
    assertEquals(100, registry.get(ComputeShareScheduler.TENANT_USED).tag("pod", "borrower").gauge().value(), 1,
        "alone in wanting the GPU, it is not held at all");
    assertEquals(100, registry.get(ComputeShareScheduler.GPU_GUARANTEED).tag("UUID", "GPU-1").gauge().value());
    assertEquals(60, registry.get(ComputeShareScheduler.GPU_LENT).tag("UUID", "GPU-1").gauge().value());
    assertEquals(60, registry.get(ComputeShareScheduler.GPU_IDLE).tag("UUID", "GPU-1").gauge().value());
    assertEquals(1, registry.get("tessera.gpu.compute.share.lends").tag("source", "idle-tenants").counter().count());
    ComputeShareState.GpuShares reported = scheduler.latest().gpu("GPU-1").orElseThrow();
    assertEquals(new ComputeShareState.GpuShares("GPU-1", 100, 60, 60, 2), reported);

    gpu.remove("owner");
    ticks(1);
    assertTrue(registry.find(ComputeShareScheduler.TENANT_SHARE).tag("pod", "owner").gauges().isEmpty(),
        "a tenant that left has no series");
  }

  @Test
  void sharesAreWrittenEveryTickWithALeaseAndGivenBackOnClose() {
    SimulatedComputeGpu.Tenant borrower = gpu.tenant("borrower", 30, 100);
    gpu.tenant("owner", 70, 0);
    ticks(6);
    assertEquals(6, borrower.writes);
    assertEquals(clock.instant().plus(SETTINGS.lease()), borrower.leaseUntil);

    scheduler.close();

    assertEquals(30, borrower.written(clock.instant()), "back to its own share without waiting for the lease");
    assertEquals(ComputeShareState.NONE, scheduler.latest());
  }

  @Test
  void anAgentThatStopsLeavesNothingLentLongerThanTheLease() {
    SimulatedComputeGpu.Tenant borrower = gpu.tenant("borrower", 30, 100);
    gpu.tenant("owner", 70, 0);
    ticks(6);
    assertEquals(90, borrower.written(clock.instant()));

    gpu.run(SETTINGS.lease().plus(ComputeShareSettings.LIBRARY_LOOK)); // no more ticks: the agent hung

    assertEquals(30, borrower.libraryShare);
  }

  @Test
  void theSeriesHaveTheNamesTheReadmeGives() {
    io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus = dev.tessera.agent.metrics.AgentMetrics.newRegistry();
    SimulatedComputeGpu.Tenant owner = gpu.tenant("owner", 70, 0);
    gpu.tenant("borrower", 30, 100);
    ComputeShareScheduler onPage = new ComputeShareScheduler(gpu, PodEvents.NONE, prometheus, clock, SETTINGS);
    for (int i = 0; i < 6; i++) {
      gpu.run(TICK);
      clock.advance(TICK);
      onPage.tick();
    }
    owner.demand = 70;
    for (int i = 0; i < 2; i++) {
      gpu.run(TICK);
      clock.advance(TICK);
      onPage.tick();
    }

    String page = prometheus.scrape();
    for (String series : List.of(
        "tessera_container_gpu_compute_share_percent{UUID=\"GPU-1\",container=\"main\",namespace=\"team\",pod=\"borrower\",share=\"effective\"} 30",
        "tessera_container_gpu_compute_used_percent{UUID=\"GPU-1\",container=\"main\",namespace=\"team\",pod=\"owner\"}",
        "tessera_gpu_compute_share_guaranteed_percent{UUID=\"GPU-1\"} 100",
        "tessera_gpu_compute_share_lent_percent{UUID=\"GPU-1\"} 0",
        "tessera_gpu_compute_share_idle_percent{UUID=\"GPU-1\"}",
        "tessera_gpu_compute_share_lends_total{UUID=\"GPU-1\",source=\"idle-tenants\"} 1",
        "tessera_gpu_compute_share_reclaims_total{UUID=\"GPU-1\",reason=\"owner-busy\"} 1",
        "tessera_gpu_compute_share_reclaim_seconds_bucket{le=\"0.5\"} 1")) {
      assertTrue(page.contains(series), series + " in:\n" + page);
    }
  }

  private double gauge(String name, String pod, String share) {
    return registry.get(name).tag("pod", pod).tag("share", share).gauge().value();
  }
}
