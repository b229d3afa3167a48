package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tessera.agent.deviceplugin.DeviceSnapshot.DeviceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Samples are taken by calling poll() directly; the scheduler is never started. */
class HealthMonitorTest {
  private final FakeGpus gpus = FakeGpus.of(2);
  private final ScheduledExecutorService unused = Executors.newSingleThreadScheduledExecutor();
  private final HealthMonitor monitor = new HealthMonitor(gpus, Duration.ofHours(1), unused);
  private final List<DeviceSnapshot> published = new ArrayList<>();

  @AfterEach
  void tearDown() {
    unused.shutdownNow();
  }

  @Test
  void publishesOnlyChanges() {
    monitor.addListener(published::add);

    DeviceSnapshot first = monitor.poll();
    assertSame(first, monitor.poll());
    gpus.setUnhealthy(1, "GPU is lost");
    DeviceSnapshot second = monitor.poll();

    assertEquals(List.of(first, second), published);
    assertEquals(1, first.generation());
    assertEquals(2, second.generation());
    assertEquals(new DeviceState(FakeGpus.uuid(1), 1, false, "GPU is lost"), second.devices().get(1));
  }

  @Test
  void aFailingBackendMakesEveryGpuUnhealthy() {
    monitor.poll();
    gpus.fail(new IllegalStateException("driver gone"));

    DeviceSnapshot snapshot = monitor.poll();

    assertEquals(2, snapshot.devices().size());
    snapshot.devices().forEach(d -> assertFalse(d.healthy()));
    assertEquals("the GPU backend failed: driver gone", snapshot.devices().get(0).reason());
  }

  @Test
  void sharedSlotsFollowTheirGpusHealth() {
    HealthMonitor shared = new HealthMonitor(gpus, 3, Duration.ofHours(1), unused);
    gpus.setUnhealthy(1, "GPU is lost");

    DeviceSnapshot snapshot = shared.poll();

    assertEquals(6, snapshot.devices().size());
    assertEquals(new DeviceState(FakeGpus.uuid(0) + "::2", 0, true, ""), snapshot.devices().get(2));
    assertEquals(new DeviceState(FakeGpus.uuid(1) + "::0", 1, false, "GPU is lost"), snapshot.devices().get(3));
  }
}
