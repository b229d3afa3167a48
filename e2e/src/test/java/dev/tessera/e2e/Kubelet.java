package dev.tessera.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The test playing a kubelet: writes a bound pod's status as the kubelet of its node would at each
 * stage of its life (containers being created, an image that cannot be pulled, running ready or
 * not, crashing, exited). Used with fakelet in {@link Installation.Kubelets#TEST_STARTS_PODS} mode,
 * so a pod stays at a stage until the test moves it on. Each write replaces the pod's conditions
 * and container statuses whole (a JSON merge patch of the status subresource), as a kubelet's
 * status sync does.
 */
final class Kubelet {
  private final KubernetesClient api;
  /** Pod IPs handed out as a node's CNI would: one per pod, so endpoints list each. */
  private final AtomicInteger lastIp = new AtomicInteger();
  private final Map<String, String> ips = new java.util.concurrent.ConcurrentHashMap<>();

  Kubelet(KubernetesClient api) {
    this.api = api;
  }

  /** Bound; its containers being created (the image being pulled): Pending, not ready. */
  void creating(String pod) {
    write(pod, "Pending", false, Map.of("waiting", Map.of("reason", "ContainerCreating")), 0, null);
  }

  /**
   * Its image cannot be had: Pending, the container waiting with {@code reason}
   * ({@code ErrImagePull}, {@code ImagePullBackOff}, {@code InvalidImageName}).
   */
  void cannotPull(String pod, String reason) {
    write(pod, "Pending", false,
        Map.of("waiting", Map.of("reason", reason, "message", "the stand-in kubelet cannot get the image")), 0, null);
  }

  /** Its containers run; {@code ready} says whether their readiness probes pass. */
  void running(String pod, boolean ready) {
    write(pod, "Running", ready, Map.of("running", Map.of("startedAt", now())), 0, null);
  }

  /** Its container exited with 1 and keeps doing so on every restart: CrashLoopBackOff. */
  void crashLooping(String pod) {
    write(pod, "Running", false,
        Map.of("waiting", Map.of("reason", "CrashLoopBackOff", "message", "back-off 40s restarting failed container")),
        3, Map.of("terminated", terminated(1)));
  }

  /** Its container exited with {@code exitCode}; a pod that is not restarted is then Succeeded (0) or Failed. */
  void exited(String pod, int exitCode) {
    write(pod, exitCode == 0 ? "Succeeded" : "Failed", false, Map.of("terminated", terminated(exitCode)), 0, null);
  }

  private static Map<String, Object> terminated(int exitCode) {
    return Map.of("exitCode", exitCode, "reason", exitCode == 0 ? "Completed" : "Error", "startedAt", now(),
        "finishedAt", now());
  }

  private void write(
      String name, String phase, boolean ready, Map<String, Object> state, int restarts, Map<String, Object> lastState) {
    Pod pod = api.pods().inNamespace(Workloads.NAMESPACE).withName(name).require();
    if (pod.getSpec().getNodeName() == null) {
      throw new IllegalStateException("pod " + name + " is not bound: no kubelet writes its status");
    }
    String ip = ips.computeIfAbsent(pod.getMetadata().getUid(), uid -> "10.1.0." + lastIp.incrementAndGet());
    List<Map<String, Object>> containers = new ArrayList<>();
    for (Container container : pod.getSpec().getContainers()) {
      Map<String, Object> status = new LinkedHashMap<>();
      status.put("name", container.getName());
      status.put("image", container.getImage());
      status.put("imageID", "");
      status.put("ready", ready);
      status.put("started", state.containsKey("running"));
      status.put("restartCount", restarts);
      status.put("state", state);
      if (lastState != null) {
        status.put("lastState", lastState);
      }
      containers.add(status);
    }
    List<Map<String, Object>> conditions = new ArrayList<>();
    conditions.add(condition("PodScheduled", true));
    conditions.add(condition("Initialized", true));
    conditions.add(condition("ContainersReady", ready));
    conditions.add(condition("Ready", ready));
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("phase", phase);
    status.put("hostIP", "127.0.0.1");
    if (!"Pending".equals(phase)) { // sandbox up, containers started: the pod has its address
      status.put("podIP", ip);
      status.put("podIPs", List.of(Map.of("ip", ip)));
    }
    status.put("startTime", now());
    status.put("conditions", conditions);
    status.put("containerStatuses", containers);
    api.pods().inNamespace(Workloads.NAMESPACE).withName(name).subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(Map.of("status", status)));
  }

  private static Map<String, Object> condition(String type, boolean status) {
    return Map.of("type", type, "status", status ? "True" : "False", "lastTransitionTime", now());
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
