package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builders for the nodes and pods of the cluster tests, in the style of kube-scheduler's MakePod(). */
public final class Fixtures {
  public static final String A100 = "NVIDIA-A100-SXM4-80GB";
  public static final long A100_MIB = 81920;

  private Fixtures() {}

  /** A GPU node labelled as NVIDIA GPU feature discovery labels it, with the GPUs allocatable. */
  public static Node gfdNode(String name, int gpus, long memoryMiB) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(WellKnown.GFD_PRODUCT, A100)
        .addToLabels(WellKnown.GFD_MEMORY_MIB, Long.toString(memoryMiB))
        .addToLabels(WellKnown.GFD_COUNT, Integer.toString(gpus))
        .endMetadata()
        .withNewStatus()
        .addToAllocatable(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpus)))
        .addToCapacity(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpus)))
        .addToAllocatable("cpu", new Quantity("96"))
        .endStatus()
        .build();
  }

  public static MakePod pod(String namespace, String name) {
    return new MakePod(namespace, name);
  }

  /** Fluent pod builder: {@code pod("ns", "p").gpus(2).node("n1").obj()}. */
  public static final class MakePod {
    private final String namespace;
    private final String name;
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private String gpus;
    private String node;
    private String phase = "Pending";
    private String uid;

    public MakePod(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    public MakePod gpus(int count) {
      this.gpus = Integer.toString(count);
      return this;
    }

    public MakePod gpus(String quantity) {
      this.gpus = quantity;
      return this;
    }

    public MakePod fraction(String fraction) {
      return annotation(WellKnown.GPU_FRACTION, fraction);
    }

    public MakePod annotation(String key, String value) {
      annotations.put(key, value);
      return this;
    }

    public MakePod node(String nodeName) {
      this.node = nodeName;
      return this;
    }

    public MakePod phase(String podPhase) {
      this.phase = podPhase;
      return this;
    }

    public MakePod uid(String podUid) {
      this.uid = podUid;
      return this;
    }

    public Pod obj() {
      ContainerBuilder container = new ContainerBuilder().withName("main").withImage("cuda:12");
      if (gpus != null) {
        container.withNewResources().addToLimits(WellKnown.GPU_RESOURCE, new Quantity(gpus)).endResources();
      }
      return new PodBuilder()
          .withNewMetadata()
          .withNamespace(namespace)
          .withName(name)
          .withUid(uid)
          .withAnnotations(annotations.isEmpty() ? null : new LinkedHashMap<>(annotations))
          .endMetadata()
          .withNewSpec()
          .withSchedulerName(WellKnown.SCHEDULER_NAME)
          .withNodeName(node)
          .withContainers(container.build())
          .endSpec()
          .withNewStatus()
          .withPhase(phase)
          .endStatus()
          .build();
    }
  }
}
