package dev.tessera.e2e;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** The nodes, pods and pod groups the tests create, labelled so that {@link ControlPlane#reset} finds them. */
final class Workloads {
  static final String TEST_LABEL = "tessera-e2e";
  static final String NAMESPACE = "e2e";
  /** An NVIDIA L4: what the GPU memory label says, in MiB. */
  static final long L4_MIB = 23_034;

  private Workloads() {}

  /** A Ready node without a kubelet, as {@code mknode.sh} makes it, with {@code gpus} L4s. */
  static Node gpuNode(KubernetesClient client, String name, int gpus, Map<String, String> extraLabels) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/hostname", name);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", "amd64");
    labels.put("nvidia.com/gpu.product", "NVIDIA-L4");
    labels.put("nvidia.com/gpu.memory", Long.toString(L4_MIB));
    labels.put(TEST_LABEL, "true");
    labels.putAll(extraLabels);
    Map<String, Quantity> capacity = new HashMap<>();
    capacity.put("cpu", new Quantity("64"));
    capacity.put("memory", new Quantity("512Gi"));
    capacity.put("pods", new Quantity("110"));
    capacity.put("nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
    String now = Instant.now().toString();
    Node node = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    Node created = client.nodes().resource(node).create();
    created.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
        .withCapacity(capacity)
        .withAllocatable(capacity)
        .withConditions(new NodeConditionBuilder().withType("Ready").withStatus("True").withReason("KubeletReady")
            .withMessage("simulated").withLastHeartbeatTime(now).withLastTransitionTime(now).build())
        .withNewNodeInfo().withKubeletVersion("v1.28.0").withArchitecture("amd64").withOperatingSystem("linux")
            .withMachineID("").withSystemUUID("").withBootID("").withKernelVersion("").withOsImage("")
            .withContainerRuntimeVersion("").withKubeProxyVersion("").endNodeInfo()
        .build());
    return client.nodes().resource(created).updateStatus();
  }

  /** The workload's status as the API server has it; empty when the workload is gone. */
  static <T extends WorkloadResource<?>> WorkloadStatus status(KubernetesClient client, Class<T> type, String name) {
    T workload = client.resources(type).inNamespace(NAMESPACE).withName(name).get();
    return workload == null ? WorkloadStatus.EMPTY : workload.statusOrEmpty();
  }

  static void namespace(KubernetesClient client) {
    client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata().withName(NAMESPACE).endMetadata().build()).serverSideApply();
  }

  /** A pod for tessera-scheduler asking for {@code gpus} whole GPUs. */
  static Pod wholeGpus(String name, int gpus) {
    return base(name).editSpec().editFirstContainer().withNewResources()
        .addToLimits("nvidia.com/gpu", new Quantity(Integer.toString(gpus)))
        .addToRequests("cpu", new Quantity("100m"))
        .endResources().endContainer().endSpec().build();
  }

  /** A pod for tessera-scheduler asking for a fraction of one GPU, e.g. "0.25". */
  static Pod fraction(String name, String fraction) {
    return base(name).editMetadata().addToAnnotations(WellKnown.GPU_FRACTION, fraction).endMetadata()
        .editSpec().editFirstContainer().withNewResources()
        .addToRequests("cpu", new Quantity("100m"))
        .endResources().endContainer().endSpec().build();
  }

  /** The pod as a member of pod group {@code group}. */
  static Pod inGroup(Pod pod, String group) {
    return new PodBuilder(pod).editMetadata().addToLabels(WellKnown.POD_GROUP_LABEL, group).endMetadata().build();
  }

  static GenericKubernetesResource podGroup(String name, int minMember, int timeoutSeconds) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("tessera.dev/v1alpha1").withKind("PodGroup")
        .withNewMetadata().withName(name).withNamespace(NAMESPACE).addToLabels(TEST_LABEL, "true").endMetadata()
        .addToAdditionalProperties("spec", Map.of("minMember", minMember, "schedulingTimeoutSeconds", timeoutSeconds))
        .build();
  }

  private static PodBuilder base(String name) {
    return new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(NAMESPACE).addToLabels(TEST_LABEL, "true").endMetadata()
        .withNewSpec()
        .withSchedulerName(WellKnown.SCHEDULER_NAME)
        .withTerminationGracePeriodSeconds(0L)
        .addNewContainer().withName("main").withImage("registry.invalid/e2e:1").endContainer()
        .endSpec();
  }
}
