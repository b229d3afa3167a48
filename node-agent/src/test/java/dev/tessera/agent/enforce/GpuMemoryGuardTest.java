package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import dev.tessera.agent.gpu.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard over real usage files; processes and events are recorded instead of killed and sent. */
class GpuMemoryGuardTest {
  private static final long GIB = 1L << 30;

  @TempDir Path root;

  private final TestClock clock = new TestClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final List<Long> kills = new ArrayList<>();
  private final List<String> events = new ArrayList<>();
  private final Processes processes = new Processes() {
    @Override
    public OptionalLong hostPid(GpuTenant tenant, TenantProcess process) {
      long hostPid = 100_000L + process.pid(); // as if the host numbered them apart
      return kills.contains(hostPid) ? OptionalLong.empty() : OptionalLong.of(hostPid);
    }

    @Override
    public boolean kill(long hostPid) {
      kills.add(hostPid);
      return true;
    }
  };
  private final PodEvents recorder = (ClaimRecord pod, String reason, String message) ->
      events.add(pod.pod() + " " + reason + ": " + message);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private GpuMemoryGuard guard() {
    return new GpuMemoryGuard(new UsageFiles(root), processes, recorder, registry, clock);
  }

  private double counted(String name) {
    return registry.get(name).counter().count();
  }

  @Test
  void killsTheBorrowerWhenATenantWaitsWithinItsRequestAndOnlyOnce() throws IOException {
    Path a = UsageFileWriter.pod(root, "team", "claimant", "uid-a", "GPU-1");
    UsageFileWriter.gpu(a, 0).limits(8 * GIB, 8 * GIB).waiter(7, 4 * GIB, 500, 2 * GIB).write();
    Path b = UsageFileWriter.pod(root, "team", "borrower", "uid-b", "GPU-1");
    UsageFileWriter.gpu(b, 0).limits(2 * GIB, 12 * GIB).process(9, 10 * GIB, 600, 0).write();
    GpuMemoryGuard guard = guard();

    guard.tick();
    guard.tick(); // the slot still shows the memory, which the driver is giving back

    assertEquals(List.of(100_009L), kills);
    assertEquals(1.0, counted(GpuMemoryGuard.RECLAIMS));
    assertEquals(1, events.size(), events.toString());
    String event = events.get(0);
    assertTrue(event.startsWith("borrower GpuMemoryLoanReclaimed: process 9 was killed"), event);
    assertTrue(event.contains("used 10240 MiB of GPU GPU-1, 8192 MiB above its request of 2048 MiB"), event);
    assertTrue(event.contains("team/claimant (2048 MiB) needed memory within its request"), event);
  }

  @Test
  void aStillWaitingTenantGetsMoreOnceTheKilledProcessesMemoryShouldHaveCome() throws IOException {
    Path a = UsageFileWriter.pod(root, "team", "claimant", "uid-a", "GPU-1");
    UsageFileWriter.gpu(a, 0).limits(8 * GIB, 8 * GIB).waiter(7, 0, 500, 2 * GIB).write();
    Path b = UsageFileWriter.pod(root, "team", "borrower", "uid-b", "GPU-1");
    UsageFileWriter.gpu(b, 0).limits(GIB, 12 * GIB).process(9, 3 * GIB, 600, 0).process(10, 2 * GIB, 601, 0).write();
    GpuMemoryGuard guard = guard();

    guard.tick();
    clock.advance(GpuMemoryGuard.DYING);
    guard.tick();

    assertEquals(List.of(100_009L, 100_010L), kills);
  }

  @Test
  void wantedBytesLeftByAWaiterThatDiedMidWaitKillNobody() throws IOException {
    Path a = UsageFileWriter.pod(root, "team", "claimant", "uid-a", "GPU-1");
    UsageFileWriter.gpu(a, 0).limits(8 * GIB, 8 * GIB).waiter(7, 0, 500, 2 * GIB).write();
    Path b = UsageFileWriter.pod(root, "team", "borrower", "uid-b", "GPU-1");
    UsageFileWriter.gpu(b, 0).limits(2 * GIB, 12 * GIB).process(9, 10 * GIB, 600, 0).write();
    kills.add(100_007L); // the waiter is gone (as if killed): its slot outlives it

    guard().tick();

    assertEquals(List.of(100_007L), kills, "no borrower killed for a dead waiter");
    assertTrue(events.isEmpty(), events.toString());
  }

  @Test
  void tenantsOnOtherGpusAreNeverVictims() throws IOException {
    Path a = UsageFileWriter.pod(root, "team", "claimant", "uid-a", "GPU-1");
    UsageFileWriter.gpu(a, 0).limits(8 * GIB, 8 * GIB).waiter(7, 0, 500, GIB).write();
    Path b = UsageFileWriter.pod(root, "team", "elsewhere", "uid-b", "GPU-2");
    UsageFileWriter.gpu(b, 0).limits(GIB, 12 * GIB).process(9, 10 * GIB, 600, 0).write();

    guard().tick();

    assertTrue(kills.isEmpty());
    assertTrue(events.isEmpty());
  }

  @Test
  void refusalsBecomeOneEventPerContainerAndGpuPerGap() throws IOException {
    Path a = UsageFileWriter.pod(root, "team", "small", "uid-a", "GPU-1");
    UsageFileWriter.gpu(a, 0).limits(GIB, GIB).process(7, GIB, 500, 2).write();
    GpuMemoryGuard guard = guard();

    guard.tick();
    UsageFileWriter.gpu(a, 0).limits(GIB, GIB).process(7, GIB, 500, 5).write();
    guard.tick(); // within the gap: held back
    clock.advance(Duration.ofSeconds(31));
    guard.tick();
    guard.tick(); // nothing new

    assertEquals(2, events.size(), events.toString());
    assertTrue(events.get(0).startsWith("small GpuOutOfMemory: process 7 was refused GPU memory on GPU GPU-1 (2 times)"),
        events.get(0));
    assertTrue(events.get(0).contains("the container's limit is 1024 MiB and it uses 1024 MiB"), events.get(0));
    assertTrue(events.get(1).contains("(3 times)"), events.get(1));
    assertEquals(5.0, counted(GpuMemoryGuard.REFUSALS), "counted as they happen, not as they are told");
  }

  @Test
  void aRestartedProcessWithTheSamePidIsCountedAfresh() throws IOException {
    Path a = UsageFileWriter.pod(root, "team", "small", "uid-a", "GPU-1");
    UsageFileWriter.gpu(a, 0).limits(GIB, GIB).process(7, GIB, 500, 1).write();
    GpuMemoryGuard guard = guard();
    guard.tick();

    UsageFileWriter.gpu(a, 0).limits(GIB, GIB).process(7, GIB, 900, 1).write(); // same pid, later start
    clock.advance(Duration.ofSeconds(31));
    guard.tick();

    assertEquals(2, events.size(), events.toString());
    assertTrue(events.get(1).contains("(1 time)"), events.get(1));
  }
}
