package dev.tessera.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.controller.external.ProjectNamespaces;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Other controllers' workloads on the real control plane, through the shipped pod webhook: a
 * Kubeflow PyTorchJob (its CRD as the Training Operator defines it; the test plays the operator,
 * creating the pods it would), a Deployment whose pods kube-controller-manager creates, and a
 * KubeRay RayCluster. Their owners change nothing: the webhook moves their pods to
 * tessera-scheduler and groups them by top owner, the extender makes one ExternalWorkload (and
 * PodGroup) of each, and gangs, quota and reclaim treat it as one workload.
 */
class ExternalWorkloadsIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String NS = Workloads.NAMESPACE;
  private static final String OTHER_NS = "e2e-b";

  private Installation tessera;
  private KubernetesClient api;
  private PodWebhook webhook;

  @BeforeEach
  void setUp() {
    tessera = Installation.fresh();
    api = tessera.admin();
    ControlPlane plane = ControlPlane.shared();
    try (InputStream in = ExternalWorkloadsIT.class.getResourceAsStream("/third-party/crds.yaml")) {
      api.load(in).resources().forEach(r -> r.fieldManager("tessera-e2e").forceConflicts().serverSideApply());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String crd : List.of("pytorchjobs.kubeflow.org", "rayclusters.ray.io")) {
      api.apiextensions().v1().customResourceDefinitions().withName(crd).waitUntilCondition(
          c -> c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
              .anyMatch(cond -> "Established".equals(cond.getType()) && "True".equals(cond.getStatus())),
          60, java.util.concurrent.TimeUnit.SECONDS);
    }
    api.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OTHER_NS).endMetadata().build())
        .serverSideApply();
    // team-e2e deserves nothing and runs on idle GPUs; team-b deserves 4.
    project("team-e2e", NS, 0);
    project("team-b", OTHER_NS, 4);
    tessera.startExtender().awaitReady(Duration.ofSeconds(60));
    for (String namespace : List.of(NS, OTHER_NS)) {
      Await.until("the extender to label namespace " + namespace + " with its Project", WAIT,
          () -> api.namespaces().withName(namespace).get().getMetadata().getLabels()
              .containsKey(ProjectNamespaces.LABEL));
    }
    webhook = PodWebhook.register(plane, NS);
  }

  @AfterEach
  void tearDown() {
    if (webhook != null) {
      webhook.close();
    }
    api.pods().inNamespace(OTHER_NS).withGracePeriod(0).delete();
  }

  @Test
  void aPyTorchJobOfAMasterAndThreeWorkersStartsWholeOrNotAtAllAndCountsAsOneWorkload() {
    gpuNode("xw-1", 4);
    gpuNode("xw-2", 4);
    api.resource(Workloads.wholeGpus("busy", 2)).create();
    Await.until("busy to be bound", WAIT, () -> bound(NS, "busy"));

    GenericKubernetesResource job = api.resource(pytorchJob("bert", 3)).create();
    // The Training Operator's part: one pod per replica, owned by the job, with no scheduler named.
    List<String> members = List.of("bert-master-0", "bert-worker-0", "bert-worker-1", "bert-worker-2");
    for (String name : members) {
      api.resource(operatorPod(name, job, "2", Map.of("training.kubeflow.org/replica-type",
          name.contains("master") ? "master" : "worker"))).create();
    }
    for (String name : members) {
      Pod pod = api.pods().inNamespace(NS).withName(name).get();
      assertEquals(WellKnown.SCHEDULER_NAME, pod.getSpec().getSchedulerName(), name + ": moved to Tessera");
      assertEquals("pytorchjob-bert", pod.getMetadata().getLabels().get(WellKnown.POD_GROUP_LABEL), name);
    }
    ExternalWorkloadResource workload = awaitWorkload("pytorchjob-bert");
    assertEquals("PyTorchJob", workload.getSpec().owner().kind());
    assertEquals(job.getMetadata().getUid(), workload.getSpec().owner().uid());
    assertEquals(4, workload.getSpec().minMember());
    assertEquals(job.getMetadata().getUid(), workload.getMetadata().getOwnerReferences().get(0).getUid(),
        "it goes with its PyTorchJob");
    PodGroupResource group = api.resources(PodGroupResource.class).inNamespace(NS).withName("pytorchjob-bert").get();
    assertNotNull(group, "the gang's PodGroup");
    assertEquals(4, group.getSpec().minMember());

    // Six GPUs are free and the gang needs eight: not one member may start.
    Await.until("the workload to say it is Pending", WAIT, () -> "Pending".equals(status("pytorchjob-bert").phase()));
    Await.sleep(Duration.ofSeconds(5));
    assertEquals(List.of(), boundOf(members), "no member of a gang that does not fit is placed");

    api.pods().inNamespace(NS).withName("busy").delete();
    Await.until("all four members to be bound", WAIT, () -> boundOf(members).size() == 4,
        () -> "bound " + boundOf(members) + "; extender log " + tessera.extender().log);
    Await.until("the workload to run with 4 pods on 8 GPUs", WAIT, () -> {
      WorkloadStatus s = status("pytorchjob-bert");
      return "Running".equals(s.phase()) && Integer.valueOf(4).equals(s.runningPods())
          && Double.valueOf(8).equals(s.gpusAllocated());
    }, () -> String.valueOf(status("pytorchjob-bert")));
    assertEquals(4, status("pytorchjob-bert").requestedPods());
    Await.until("team-e2e's status to count the job's 8 GPUs", WAIT, () -> allocated("team-e2e") == 8.0,
        () -> "allocated " + allocated("team-e2e"));
  }

  @Test
  void aDeploymentOfThreeFractionalReplicasIsOneWorkloadWhoseOwnerWroteOnlyTheAnnotation() {
    gpuNode("xw-1", 2);
    Deployment web = new DeploymentBuilder()
        .withNewMetadata().withNamespace(NS).withName("web").endMetadata()
        .withNewSpec().withReplicas(3)
            .withNewSelector().addToMatchLabels("app", "web").endSelector()
            .withNewTemplate()
                .withNewMetadata().addToLabels("app", "web").addToLabels(Workloads.TEST_LABEL, "true")
                    .addToAnnotations(WellKnown.GPU_FRACTION, "0.5").endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(0L)
                    .addNewContainer().withName("server").withImage("registry.invalid/web:1")
                        .withNewResources().addToRequests("cpu", new Quantity("100m")).endResources()
                    .endContainer()
                .endSpec()
            .endTemplate()
        .endSpec().build();
    api.resource(web).create();

    Await.until("kube-controller-manager's three pods to be bound by Tessera", WAIT, () -> webPods().stream()
        .filter(p -> p.getSpec().getNodeName() != null).count() == 3, () -> "pods " + webPods().stream()
        .map(p -> p.getMetadata().getName() + "@" + p.getSpec().getNodeName()).toList());
    for (Pod pod : webPods()) {
      String name = pod.getMetadata().getName();
      assertEquals(WellKnown.SCHEDULER_NAME, pod.getSpec().getSchedulerName(), name);
      assertEquals(new Quantity("1"), pod.getSpec().getContainers().get(0).getResources().getLimits()
          .get(WellKnown.GPU_SHARE_RESOURCE), name + ": the GPU share kubelet hands to the node agent");
      assertNotNull(pod.getMetadata().getAnnotations().get(WellKnown.GPU_ASSIGNMENT), name + ": its half of a GPU");
      assertEquals("deployment-web", pod.getMetadata().getLabels().get(WellKnown.WORKLOAD_LABEL), name);
      assertNull(pod.getMetadata().getLabels().get(WellKnown.POD_GROUP_LABEL), name + ": replicas are placed alone");
    }
    ExternalWorkloadResource workload = awaitWorkload("deployment-web");
    assertEquals("Deployment", workload.getSpec().owner().kind());
    assertEquals(1, workload.getSpec().minMember());
    assertNull(workload.getSpec().podGroup());
    Await.until("the workload to run its 3 replicas on 1.5 GPUs", WAIT, () -> {
      WorkloadStatus s = status("deployment-web");
      return "Running".equals(s.phase()) && Integer.valueOf(3).equals(s.runningPods())
          && Double.valueOf(1.5).equals(s.gpusRequested());
    }, () -> String.valueOf(status("deployment-web")));
    assertEquals(1, api.resources(ExternalWorkloadResource.class).inNamespace(NS).list().getItems().size(),
        "one workload for the Deployment, its ReplicaSet and its pods");
  }

  @Test
  void reclaimTakesAWholeRayClusterNeverALoneWorkerOfItsGang() {
    gpuNode("xw-1", 4);
    GenericKubernetesResource cluster = api.resource(rayCluster("tune", 3)).create();
    List<String> members = List.of("tune-head", "tune-worker-0", "tune-worker-1", "tune-worker-2");
    for (String name : members) {
      api.resource(operatorPod(name, cluster, "1",
          Map.of("ray.io/node-type", name.contains("head") ? "head" : "worker"))).create();
    }
    Await.until("the RayCluster to run on all four GPUs (idle, so over team-e2e's quota)", WAIT,
        () -> boundOf(members).size() == 4, () -> "bound " + boundOf(members));
    assertEquals(4, awaitWorkload("raycluster-tune").getSpec().minMember());

    // team-b deserves 4 GPUs and asks for one: reclaim must free it, and the gang goes whole.
    Pod claim = new PodBuilder().withNewMetadata().withNamespace(OTHER_NS).withName("claim")
        .addToLabels(Workloads.TEST_LABEL, "true").endMetadata()
        .withNewSpec().withTerminationGracePeriodSeconds(0L).addNewContainer().withName("main")
            .withImage("registry.invalid/claim:1").withNewResources()
            .addToLimits(WellKnown.GPU_RESOURCE, new Quantity("1")).addToRequests("cpu", new Quantity("100m"))
            .endResources().endContainer().endSpec().build();
    api.resource(claim).create();
    Await.until("team-b's pod to be bound", WAIT, () -> bound(OTHER_NS, "claim"),
        () -> "claim " + describe(api.pods().inNamespace(OTHER_NS).withName("claim").get()) + "; ray pods bound "
            + boundOf(members) + "; extender log " + tessera.extender().log);
    Await.until("the RayCluster's pods to be gone", WAIT, () -> liveOf(members).isEmpty(),
        () -> "still there: " + liveOf(members));
    String log = tessera.extender().logText();
    assertTrue(log.contains("reclaiming GPUs for " + OTHER_NS + "/claim: evicting " + members.size() + " pod(s)"),
        "the whole gang left in one reclaim: " + log.lines().filter(l -> l.contains("reclaim")).toList());
  }

  // ------------------------------------------------------------------------------------- fixtures

  private void project(String name, String namespace, double deserved) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(List.of(namespace), null,
        List.of(new ProjectSpec.Quota(WellKnown.DEFAULT_POOL, deserved, null, null)), null, null, null));
    api.resource(project).create();
  }

  /** A node with {@code gpus} GPUs that also advertises the node agent's 32 shared slots per GPU. */
  private void gpuNode(String name, int gpus) {
    Node node = Workloads.gpuNode(api, name, gpus, Map.of());
    Map<String, Quantity> capacity = new HashMap<>(node.getStatus().getCapacity());
    capacity.put(WellKnown.GPU_SHARE_RESOURCE, new Quantity(Integer.toString(32 * gpus)));
    node.getStatus().setCapacity(capacity);
    node.getStatus().setAllocatable(capacity);
    api.nodes().resource(node).updateStatus();
  }

  /** A kubeflow.org/v1 PyTorchJob of one master and {@code workers} workers. */
  private static GenericKubernetesResource pytorchJob(String name, int workers) {
    return new GenericKubernetesResourceBuilder().withApiVersion("kubeflow.org/v1").withKind("PyTorchJob")
        .withNewMetadata().withNamespace(NS).withName(name).endMetadata()
        .addToAdditionalProperties("spec", Map.of("pytorchReplicaSpecs", Map.of(
            "Master", Map.of("replicas", 1, "template", Map.of()),
            "Worker", Map.of("replicas", workers, "template", Map.of()))))
        .build();
  }

  /** A ray.io/v1 RayCluster of a head and {@code workers} workers, all of them its minimum. */
  private static GenericKubernetesResource rayCluster(String name, int workers) {
    return new GenericKubernetesResourceBuilder().withApiVersion("ray.io/v1").withKind("RayCluster")
        .withNewMetadata().withNamespace(NS).withName(name).endMetadata()
        .addToAdditionalProperties("spec", Map.of("workerGroupSpecs", List.of(Map.of(
            "groupName", "gpu", "replicas", workers, "minReplicas", workers, "maxReplicas", workers))))
        .build();
  }

  /** A pod as an operator creates it: owned by its object, no scheduler named, whole GPUs. */
  private static Pod operatorPod(String name, HasMetadata owner, String gpus, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(NS).withName(name).addToLabels(labels)
            .addToLabels(Workloads.TEST_LABEL, "true")
            .addNewOwnerReference().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).endOwnerReference()
        .endMetadata()
        .withNewSpec().withTerminationGracePeriodSeconds(0L)
            .addNewContainer().withName("main").withImage("registry.invalid/train:1").withNewResources()
                .addToLimits(WellKnown.GPU_RESOURCE, new Quantity(gpus)).addToRequests("cpu", new Quantity("100m"))
            .endResources().endContainer()
        .endSpec().build();
  }

  private ExternalWorkloadResource awaitWorkload(String name) {
    Await.until("ExternalWorkload " + name, WAIT,
        () -> api.resources(ExternalWorkloadResource.class).inNamespace(NS).withName(name).get() != null,
        () -> "extender log " + tessera.extender().log);
    return api.resources(ExternalWorkloadResource.class).inNamespace(NS).withName(name).get();
  }

  private WorkloadStatus status(String name) {
    return Workloads.status(api, ExternalWorkloadResource.class, name);
  }

  private double allocated(String project) {
    ProjectResource p = api.resources(ProjectResource.class).withName(project).get();
    if (p == null || p.getStatus() == null || p.getStatus().pools() == null) {
      return -1;
    }
    return p.getStatus().pools().stream().filter(pool -> WellKnown.DEFAULT_POOL.equals(pool.nodePool()))
        .map(pool -> pool.allocatedGpus() == null ? 0.0 : pool.allocatedGpus()).findFirst().orElse(-1.0);
  }

  private boolean bound(String namespace, String name) {
    Pod pod = api.pods().inNamespace(namespace).withName(name).get();
    return pod != null && pod.getSpec().getNodeName() != null;
  }

  private List<String> boundOf(List<String> names) {
    return names.stream().filter(n -> bound(NS, n)).toList();
  }

  /** The named pods that exist and are not being deleted. */
  private List<String> liveOf(List<String> names) {
    return names.stream().filter(n -> {
      Pod pod = api.pods().inNamespace(NS).withName(n).get();
      return pod != null && pod.getMetadata().getDeletionTimestamp() == null;
    }).toList();
  }

  private static String describe(Pod pod) {
    return pod == null ? "gone" : "scheduler " + pod.getSpec().getSchedulerName() + ", labels "
        + pod.getMetadata().getLabels() + ", conditions " + (pod.getStatus() == null ? null
            : pod.getStatus().getConditions().stream().map(c -> c.getType() + "=" + c.getStatus() + " " + c.getMessage())
                .toList());
  }

  private List<Pod> webPods() {
    return api.pods().inNamespace(NS).withLabel("app", "web").list().getItems();
  }
}
