package dev.tessera.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuSample.GpuProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedGpuBackendTest {
  private static final long GIB = 1024L * 1024 * 1024;
  private static final Instant START = Instant.parse("2025-06-01T12:00:00Z");
  private static final String A100S = "2xNVIDIA-A100-SXM4-80GB:81920,1xNVIDIA-L4:23034";

  private final TestClock clock = new TestClock(START);
  private final SimulatedGpuBackend backend = SimulatedGpuBackend.fromSpec(A100S, clock, 42);

  @Test
  void listsTheGpusOfTheSpecInOrder() {
    List<GpuInfo> inventory = backend.inventory();

    assertEquals(3, inventory.size());
    assertEquals(List.of(0, 1, 2), inventory.stream().map(GpuInfo::index).toList());
    assertEquals("NVIDIA-A100-SXM4-80GB", inventory.get(1).model());
    assertEquals("NVIDIA-L4", inventory.get(2).model());
    assertEquals(81920L * 1024 * 1024, inventory.get(0).memoryTotalBytes());
    assertEquals(23034L * 1024 * 1024, inventory.get(2).memoryTotalBytes());
    assertEquals(
        "simulated: 2xNVIDIA-A100-SXM4-80GB:81920,1xNVIDIA-L4:23034, seed 42",
        backend.description());
  }

  @Test
  void uuidsLookLikeNvmlsAndFollowTheSeed() {
    List<String> uuids = uuids(backend);

    uuids.forEach(
        uuid ->
            assertTrue(
                uuid.matches("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                uuid));
    assertEquals(uuids.size(), new HashSet<>(uuids).size(), "distinct: " + uuids);
    assertEquals(uuids, uuids(SimulatedGpuBackend.fromSpec(A100S, clock, 42)));
    assertNotEquals(uuids, uuids(SimulatedGpuBackend.fromSpec(A100S, clock, 43)));
  }

  @Test
  void theSameSeedClockAndCallsGiveTheSameSamples() {
    TestClock otherClock = new TestClock(START);
    SimulatedGpuBackend twin = SimulatedGpuBackend.fromSpec(A100S, otherClock, 42);
    SimulatedGpuBackend stranger = SimulatedGpuBackend.fromSpec(A100S, new TestClock(START), 7);
    backend.simulate(0, 20 * GIB, 80);
    twin.simulate(0, 20 * GIB, 80);

    for (int second = 0; second < 120; second += 7) {
      clock.advance(Duration.ofSeconds(7));
      otherClock.advance(Duration.ofSeconds(7));
      assertEquals(backend.sample(), twin.sample(), "at second " + second);
      assertEquals(backend.sample(), backend.sample(), "sampling twice changes nothing");
    }
    assertNotEquals(backend.sample().get(1), stranger.sample().get(1), "another seed, other noise");
  }

  @Test
  void anIdleGpuIdles() {
    GpuSample idle = backend.sample().get(1);

    assertTrue(idle.healthy());
    assertEquals(0, idle.memoryUsedBytes());
    assertEquals(81920L * 1024 * 1024, idle.memoryFreeBytes());
    assertTrue(idle.utilizationPercent() >= 0 && idle.utilizationPercent() <= 2, idle.toString());
    assertTrue(Math.abs(idle.temperatureCelsius() - 32) <= 1, idle.toString());
    // 60 W idle, plus what the couple of percent of background utilization draw.
    assertTrue(
        idle.powerMilliwatts() >= 56_000 && idle.powerMilliwatts() <= 70_000, idle.toString());
    assertEquals(210, idle.smClockMhz());
    assertEquals(List.of(), idle.processes());
  }

  @Test
  void workIsReportedExactlyAndHeatsTheGpuOverMinutes() {
    List<GpuProcess> processes = List.of(new GpuProcess(4242, 12 * GIB));
    backend.simulate(0, 12 * GIB, 100, processes);

    GpuSample started = backend.sample().get(0);
    assertEquals(12 * GIB, started.memoryUsedBytes());
    assertEquals(68 * GIB, started.memoryFreeBytes());
    assertEquals(100, started.utilizationPercent());
    assertEquals(processes, started.processes());
    assertTrue(Math.abs(started.temperatureCelsius() - 32) <= 1, "still cool: " + started);
    assertTrue(Math.abs(started.powerMilliwatts() - 400_000) <= 4_000, started.toString());
    assertTrue(started.smClockMhz() > 1300, started.toString());

    clock.advance(Duration.ofSeconds(90));
    int afterOneTimeConstant = backend.sample().get(0).temperatureCelsius();
    // 32 + (78 - 32) * (1 - 1/e) = 61.1
    assertTrue(Math.abs(afterOneTimeConstant - 61) <= 1, "after 90 s: " + afterOneTimeConstant);

    clock.advance(Duration.ofMinutes(15));
    assertTrue(Math.abs(backend.sample().get(0).temperatureCelsius() - 78) <= 1);
  }

  @Test
  void aGpuTakenOffWorkCoolsFromWhereItWas() {
    backend.simulate(0, 12 * GIB, 100);
    clock.advance(Duration.ofMinutes(15));

    backend.idle(0);
    GpuSample justIdle = backend.sample().get(0);
    clock.advance(Duration.ofMinutes(15));
    GpuSample cooled = backend.sample().get(0);

    assertTrue(Math.abs(justIdle.temperatureCelsius() - 78) <= 1, justIdle.toString());
    assertEquals(0, justIdle.memoryUsedBytes());
    assertTrue(Math.abs(cooled.temperatureCelsius() - 32) <= 1, cooled.toString());
  }

  @Test
  void figuresMoveOverTime() {
    List<Long> power = new ArrayList<>();
    for (int second = 0; second < 10; second++) {
      power.add(backend.sample().get(0).powerMilliwatts());
      clock.advance(Duration.ofSeconds(1));
    }

    assertTrue(new HashSet<>(power).size() > 1, "power should wander: " + power);
  }

  @Test
  void aFaultyGpuIsUnhealthyUntilRecoveredAndTheOthersCarryOn() {
    backend.simulate(1, 30 * GIB, 55);

    backend.fail(1, SimulatedFault.LOST);
    backend.fail(2, SimulatedFault.NO_PERMISSION);
    List<GpuSample> failed = backend.sample();

    assertTrue(failed.get(0).healthy());
    assertEquals(GpuSample.unhealthy(1, "GPU is lost", XidErrors.NONE), failed.get(1), "its XIDs stay watched");
    assertEquals(GpuSample.unhealthy(2, "no permission", XidErrors.NONE), failed.get(2));
    assertEquals(3, backend.inventory().size(), "a lost GPU is still present");

    backend.recover(1);
    GpuSample recovered = backend.sample().get(1);
    assertTrue(recovered.healthy());
    assertEquals(30 * GIB, recovered.memoryUsedBytes(), "the load it had");
    assertEquals(55, recovered.utilizationPercent());
  }

  @Test
  void refusesImpossibleWork() {
    assertEquals(
        "GPU 2 has 24152899584 bytes; cannot use 24152899585",
        assertThrows(
                IllegalArgumentException.class,
                () -> backend.simulate(2, 23034L * 1024 * 1024 + 1, 10))
            .getMessage());
    assertEquals(
        "utilization must be 0..100 percent, was 101",
        assertThrows(IllegalArgumentException.class, () -> backend.simulate(0, 0, 101))
            .getMessage());
    assertEquals(
        "no simulated GPU 3; the indexes are 0..2",
        assertThrows(IllegalArgumentException.class, () -> backend.fail(3, SimulatedFault.LOST))
            .getMessage());
  }

  @Test
  void aClosedBackendSaysSo() {
    backend.close();

    assertEquals(
        "the simulated GPU backend is closed",
        assertThrows(IllegalStateException.class, backend::sample).getMessage());
  }

  @Test
  void givesEveryFurtherFigureAndTheEnergyCounterFollowsTheLoad() {
    backend.simulate(0, 10 * 1024L * 1024 * 1024, 100);
    GpuFigures before = backend.sample().get(0).figures();
    clock.advance(java.time.Duration.ofSeconds(10));
    GpuFigures after = backend.sample().get(0).figures();

    for (long figure :
        new long[] {
          after.memoryReservedBytes(), after.memoryClockMhz(), after.memoryTemperatureCelsius(),
          after.pcieReplays(), after.memoryCopyUtilPercent(), after.encoderUtilPercent(),
          after.decoderUtilPercent(), after.correctableRemappedRows(), after.uncorrectableRemappedRows(),
          after.rowRemapFailure(), after.pcieTxKbPerSecond(), after.pcieRxKbPerSecond(),
          after.retiredPagesSingleBit(), after.retiredPagesDoubleBit()
        }) {
      assertTrue(figure >= 0, after.toString());
    }
    // 400 W for 10 s is 4,000,000 mJ.
    assertEquals(4_000_000, after.totalEnergyMillijoules() - before.totalEnergyMillijoules());
    assertTrue(after.nvlinkTotalKib() > before.nvlinkTotalKib());
    assertEquals("00000000:18:00.0", backend.inventory().get(0).pciBusId());
    assertEquals("nvidia1", backend.inventory().get(1).deviceName());
  }

  @Test
  void aCriticalXidMakesTheGpuUnhealthyUntilRecoveredAndEveryXidIsCounted() {
    backend.xid(0, 13);
    assertTrue(backend.sample().get(0).healthy(), "an application's XID");
    backend.xid(0, 79);
    GpuSample failed = backend.sample().get(0);
    assertEquals(false, failed.healthy());
    assertEquals(XidErrors.reason(79), failed.healthReason());
    assertEquals(new XidErrors(true, 79, java.util.Map.of(13, 1L, 79, 1L)), failed.xids());

    backend.recover(0);
    GpuSample recovered = backend.sample().get(0);
    assertTrue(recovered.healthy());
    assertEquals(failed.xids(), recovered.xids(), "the counts stay");
    assertEquals(XidErrors.NONE, backend.sample().get(1).xids());
  }

  private static List<String> uuids(SimulatedGpuBackend backend) {
    return backend.inventory().stream().map(GpuInfo::uuid).toList();
  }
}
