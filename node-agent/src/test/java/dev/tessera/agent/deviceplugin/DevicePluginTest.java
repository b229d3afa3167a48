package dev.tessera.agent.deviceplugin;

import static dev.tessera.agent.deviceplugin.Pods.NODE;
import static dev.tessera.agent.deviceplugin.Pods.pod;
import static dev.tessera.agent.deviceplugin.Pods.sharedGpu;
import static dev.tessera.agent.deviceplugin.Pods.wholeGpus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.Await;
import dev.tessera.proto.deviceplugin.v1beta1.AllocateRequest;
import dev.tessera.proto.deviceplugin.v1beta1.AllocateResponse;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateRequest;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateResponse;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerPreferredAllocationRequest;
import dev.tessera.proto.deviceplugin.v1beta1.Device;
import dev.tessera.proto.deviceplugin.v1beta1.DevicePluginGrpc.DevicePluginBlockingStub;
import dev.tessera.proto.deviceplugin.v1beta1.Empty;
import dev.tessera.proto.deviceplugin.v1beta1.ListAndWatchResponse;
import dev.tessera.proto.deviceplugin.v1beta1.Mount;
import dev.tessera.proto.deviceplugin.v1beta1.PreferredAllocationRequest;
import dev.tessera.proto.deviceplugin.v1beta1.RegisterRequest;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device plugin over real gRPC on unix sockets, with a test kubelet on kubelet.sock and
 * fabric8's mock API server holding the pods.
 */
class DevicePluginTest {
  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  @TempDir Path dir; // /tmp/junitNNN: short enough for a unix socket path

  private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
  private final FakeGpus gpus = FakeGpus.of(8);
  private ScheduledExecutorService scheduler;
  private KubeApi api;
  private TestKubelet kubelet;
  private DevicePluginConfig config;
  private DevicePlugin plugin;

  @BeforeEach
  void setUp() {
    scheduler = Executors.newSingleThreadScheduledExecutor();
    api = new KubeApi();
    kubelet = new TestKubelet(dir);
    config = DevicePluginConfig.defaults(NODE)
        .withPluginDir(dir)
        .withStateDir(dir.resolve("state"))
        .withInstallDir(dir.resolve("install"))
        .withPeriods(Duration.ofMillis(20), Duration.ofMillis(20));
    plugin = new DevicePlugin(config, gpus, api.agentApi(), scheduler, clock);
  }

  @AfterEach
  void tearDown() {
    plugin.close();
    kubelet.close();
    api.close();
    scheduler.shutdownNow();
  }

  @Test
  void registersWithKubelet() throws Exception {
    kubelet.start();
    plugin.start();

    RegisterRequest registration = kubelet.awaitRegistration();
    assertEquals("v1beta1", registration.getVersion());
    assertEquals("tessera-gpu.sock", registration.getEndpoint());
    assertEquals("nvidia.com/gpu", registration.getResourceName());
    assertTrue(registration.getOptions().getGetPreferredAllocationAvailable());
    assertFalse(registration.getOptions().getPreStartRequired());
    assertTrue(plugin.registered());
    assertEquals(
        registration.getOptions(), kubelet.plugin(registration).getDevicePluginOptions(Empty.getDefaultInstance()));
  }

  @Test
  void registersWhenKubeletComesUpLater() throws Exception {
    plugin.start();
    assertFalse(plugin.registered());

    kubelet.start();

    assertEquals("tessera-gpu.sock", kubelet.awaitRegistration().getEndpoint());
    Await.until(plugin::registered, "registered");
  }

  @Test
  void listAndWatchSendsEveryGpuThenEachHealthChange() throws Exception {
    kubelet.start();
    plugin.start();
    TestKubelet.DeviceLists lists = kubelet.listAndWatch(kubelet.awaitRegistration());

    ListAndWatchResponse first = lists.next();
    assertEquals(8, first.getDevicesCount());
    assertEquals(FakeGpus.uuid(0), first.getDevices(0).getID());
    assertTrue(first.getDevicesList().stream().allMatch(d -> d.getHealth().equals("Healthy")));

    gpus.setUnhealthy(2, "GPU is lost");
    ListAndWatchResponse sick = lists.next();
    assertEquals("Unhealthy", health(sick, FakeGpus.uuid(2)));
    assertEquals("Healthy", health(sick, FakeGpus.uuid(3)));

    gpus.setHealthy(2);
    assertEquals("Healthy", health(lists.next(), FakeGpus.uuid(2)));
  }

  @Test
  void aDynamicFractionIsLimitedByItsLimitAndTellsTheLibraryItsRequest() throws Exception {
    api.create(pod("borrower").node(NODE).gpus(1).assignment(sharedGpu(NODE, 2, 20480, 61440, 0.25)).obj());
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    ContainerAllocateResponse container = stub.allocate(allocate(FakeGpus.uuid(5))).getContainerResponses(0);

    assertEquals(Long.toString(61440L << 20), container.getEnvsOrThrow("TESSERA_GPU_MEMORY_LIMITS"));
    assertEquals(Long.toString(20480L << 20), container.getEnvsOrThrow("TESSERA_GPU_MEMORY_REQUESTS"));
  }

  @Test
  void allocateGivesAFractionalPodItsGpuAndTheNativeLibrary() throws Exception {
    Pod created = api.create(pod("notebook").node(NODE).gpus(1).assignment(sharedGpu(NODE, 1, 40960, 0.5)).obj());
    String uid = created.getMetadata().getUid();
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    // kubelet's choice of slot does not matter: the assignment says GPU 1 (by index; no UUID).
    ContainerAllocateResponse container = stub.allocate(allocate(FakeGpus.uuid(5))).getContainerResponses(0);

    Path usageDir = dir.resolve("state").resolve("usage").resolve(uid);
    assertEquals(
        Map.of(
            "NVIDIA_VISIBLE_DEVICES", FakeGpus.uuid(1),
            "TESSERA_GPU_MEMORY_LIMITS", Long.toString(40960L * 1024 * 1024),
            "TESSERA_GPU_MEMORY_REQUESTS", Long.toString(40960L * 1024 * 1024),
            "TESSERA_USAGE_DIR", "/var/run/tessera/usage",
            "LD_PRELOAD", "/usr/local/tessera/lib/libtessera-cuda.so",
            "NVIDIA_DRIVER_CAPABILITIES", "compute,utility",
            "CUDA_DEVICE_ORDER", "PCI_BUS_ID",
            "TESSERA_GPU_COMPUTE_SHARES", "50"),
        container.getEnvsMap());
    assertEquals(
        List.of(
            Mount.newBuilder().setContainerPath("/var/run/tessera/usage").setHostPath(usageDir.toString()).build(),
            Mount.newBuilder()
                .setContainerPath("/usr/local/tessera/lib")
                .setHostPath(dir.resolve("install").resolve("lib").toString())
                .setReadOnly(true)
                .build()),
        container.getMountsList());
    assertTrue(Files.isDirectory(usageDir), "the usage directory is made before the container starts");
    assertEquals(
        java.util.Optional.of(new ClaimRecord("team-a", "notebook", uid, "main", List.of(FakeGpus.uuid(1)))),
        ClaimRecord.read(usageDir),
        "the agent can tell whose usage files these are and which GPU each ordinal is");

    Await.until(() -> "2025-03-01T12:00:00Z".equals(allocatedMark("notebook")), "the pod marked allocated");

    api.client().pods().inNamespace("team-a").withName("notebook").delete();
    Await.until(() -> !Files.exists(usageDir), "the deleted pod's usage directory to go");
  }

  @Test
  void aBadComputeShareBecomesAWarningOnThePodAndTheFractionsShareIsUsed() throws Exception {
    List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    plugin.close();
    plugin = new DevicePlugin(config, gpus, api.agentApi(), scheduler, clock,
        (pod, reason, message) -> events.add(pod.pod() + " " + reason + ": " + message));
    api.create(pod("typo").node(NODE).gpus(1).assignment(sharedGpu(NODE, 1, 20480, 0.25))
        .annotation("tessera.dev/compute-share", "25.5").obj());
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    ContainerAllocateResponse container = stub.allocate(allocate(FakeGpus.uuid(5))).getContainerResponses(0);

    assertEquals("25", container.getEnvsOrThrow("TESSERA_GPU_COMPUTE_SHARES"), "the container still starts, paced");
    Await.until(() -> !events.isEmpty(), "the warning");
    assertEquals(1, events.size(), events.toString());
    assertTrue(events.get(0).startsWith("typo InvalidComputeShare: tessera.dev/compute-share must be a whole percent"),
        events.get(0));
  }

  @Test
  void allocateGivesAWholeGpuPodItsGpusOnly() throws Exception {
    api.create(pod("trainer").node(NODE).gpus(2).assignment(wholeGpus(NODE, 2, 3)).obj());
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    AllocateResponse response = stub.allocate(allocate(FakeGpus.uuid(0), FakeGpus.uuid(1)));

    ContainerAllocateResponse container = response.getContainerResponses(0);
    assertEquals(Map.of("NVIDIA_VISIBLE_DEVICES", FakeGpus.uuid(2) + "," + FakeGpus.uuid(3)), container.getEnvsMap());
    assertEquals(0, container.getMountsCount());
    Await.until(() -> allocatedMark("trainer") != null, "the pod marked allocated");
  }

  @Test
  void allocateWithoutAMatchingPodIsAFailedPreconditionThatSaysWhatToCheck() throws Exception {
    api.create(pod("plain").node(NODE).gpus(1).schedulerName("default-scheduler").obj());
    api.create(pod("elsewhere").node("gpu-node-2").gpus(1).assignment(wholeGpus("gpu-node-2", 0)).obj());
    api.create(pod("started").node(NODE).gpus(1).assignment(wholeGpus(NODE, 0))
        .annotation(PodAnnotations.GPU_ALLOCATED, "2025-03-01T11:00:00Z").obj());
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.allocate(allocate(FakeGpus.uuid(0))));

    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    String message = e.getStatus().getDescription();
    assertTrue(message.contains("no pod bound to node " + NODE + " is waiting for its GPUs"), message);
    assertTrue(message.contains("team-a/plain asks for nvidia.com/gpu but has no tessera.dev/gpu-assignment"), message);
    assertTrue(message.contains("1 pending pod(s) here already have theirs"), message);
    assertTrue(message.contains("schedulerName: tessera-scheduler"), message);
    assertFalse(message.contains("elsewhere"), message);
  }

  @Test
  void concurrentAllocatesEachGetADifferentPodsGpus() throws Exception {
    int pods = 8;
    Set<String> assigned = new HashSet<>();
    for (int i = 0; i < pods; i++) {
      api.create(pod("worker-" + i).node(NODE).gpus(1).assignment(wholeGpus(NODE, i)).obj());
      assigned.add(FakeGpus.uuid(i));
    }
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    ExecutorService callers = Executors.newFixedThreadPool(pods);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < pods; i++) {
        String slot = FakeGpus.uuid(i);
        calls.add(callers.submit(() -> {
          go.await();
          return stub.allocate(allocate(slot)).getContainerResponses(0).getEnvsOrThrow("NVIDIA_VISIBLE_DEVICES");
        }));
      }
      go.countDown();
      Set<String> visible = new HashSet<>();
      for (Future<String> call : calls) {
        visible.add(call.get());
      }
      assertEquals(assigned, visible, "every call got a different pod's GPU");
    } finally {
      callers.shutdownNow();
    }

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.allocate(allocate(FakeGpus.uuid(0))));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(pods + " pending pod(s) here already have theirs"));
    for (int i = 0; i < pods; i++) {
      String name = "worker-" + i;
      Await.until(() -> allocatedMark(name) != null, name + " marked allocated");
    }
  }

  @Test
  void preferredAllocationNamesThePendingPodsGpus() throws Exception {
    api.create(pod("trainer").node(NODE).gpus(2).assignment(wholeGpus(NODE, 5, 6)).obj());
    kubelet.start();
    plugin.start();
    DevicePluginBlockingStub stub = kubelet.plugin(kubelet.awaitRegistration());

    List<String> available = List.of(FakeGpus.uuid(0), FakeGpus.uuid(1), FakeGpus.uuid(5), FakeGpus.uuid(6));
    List<String> preferred = new ArrayList<>();
    Await.until(() -> {
      preferred.clear();
      preferred.addAll(stub.getPreferredAllocation(PreferredAllocationRequest.newBuilder()
              .addContainerRequests(ContainerPreferredAllocationRequest.newBuilder()
                  .addAllAvailableDeviceIDs(available)
                  .setAllocationSize(2))
              .build())
          .getContainerResponses(0)
          .getDeviceIDsList());
      return preferred.equals(List.of(FakeGpus.uuid(5), FakeGpus.uuid(6)));
    }, "a preference for the assigned GPUs");
    assertEquals(null, allocatedMark("trainer"), "a preference claims nothing");
  }

  @Test
  void reRegistersWhenKubeletDeletesTheSocket() throws Exception {
    kubelet.start();
    plugin.start();
    RegisterRequest first = kubelet.awaitRegistration();
    TestKubelet.DeviceLists before = kubelet.listAndWatch(first);
    before.next();

    Files.delete(dir.resolve(first.getEndpoint())); // what kubelet does when it restarts

    RegisterRequest again = kubelet.awaitRegistration();
    assertEquals(first, again);
    Await.until(before::ended, "the old stream ended");
    assertTrue(Files.exists(dir.resolve(again.getEndpoint())));
    assertEquals(8, kubelet.listAndWatch(again).next().getDevicesCount());
  }

  @Test
  void closeRemovesTheSocket() throws Exception {
    kubelet.start();
    plugin.start();
    kubelet.awaitRegistration();

    plugin.close();

    assertFalse(Files.exists(config.socketPath()));
    assertFalse(plugin.registered());
  }

  private static AllocateRequest allocate(String... deviceIds) {
    return AllocateRequest.newBuilder()
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addAllDevicesIds(List.of(deviceIds)))
        .build();
  }

  private static String health(ListAndWatchResponse list, String id) {
    return list.getDevicesList().stream().filter(d -> d.getID().equals(id)).map(Device::getHealth).findFirst().orElseThrow();
  }

  private String allocatedMark(String name) {
    Map<String, String> annotations = api.get("team-a", name).getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(PodAnnotations.GPU_ALLOCATED);
  }
}
