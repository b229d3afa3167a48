package dev.tessera.agent.deviceplugin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.agent.kube.PodInfo;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Builders for the tests' pods, in the style of kube-scheduler's MakePod(). */
final class Pods {
  static final String NODE = "gpu-node-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Pods() {}

  /** The pod as the agent reads it: its JSON through {@link PodInfo#from}. */
  static PodInfo info(Pod pod) {
    return PodInfo.from(JSON.valueToTree(pod));
  }

  static MakePod pod(String name) {
    return new MakePod("team-a", name);
  }

  /** The annotation the extender writes, for whole GPUs. */
  static String wholeGpus(String node, int... indices) {
    StringBuilder gpus = new StringBuilder();
    for (int index : indices) {
      if (gpus.length() > 0) {
        gpus.append(',');
      }
      gpus.append("{\"index\":").append(index).append(",\"uuid\":\"").append(FakeGpus.uuid(index))
          .append("\",\"memoryMiB\":81920,\"memoryBytes\":85899345920,\"fraction\":1.0}");
    }
    return "{\"version\":1,\"node\":\"" + node + "\",\"exclusive\":true,\"gpus\":[" + gpus + "]}";
  }

  /** The annotation the extender writes for a share of one GPU, without its UUID (label-only node). */
  static String sharedGpu(String node, int index, long memoryMiB, double fraction) {
    return "{\"version\":1,\"node\":\"" + node + "\",\"exclusive\":false,\"gpus\":[{\"index\":" + index
        + ",\"memoryMiB\":" + memoryMiB + ",\"memoryBytes\":" + memoryMiB * 1024 * 1024
        + ",\"fraction\":" + fraction + "}]}";
  }

  /** The same for a dynamic fraction: placed by {@code memoryMiB}, may borrow up to {@code limitMiB}. */
  static String sharedGpu(String node, int index, long memoryMiB, long limitMiB, double fraction) {
    return "{\"version\":1,\"node\":\"" + node + "\",\"exclusive\":false,\"gpus\":[{\"index\":" + index
        + ",\"memoryMiB\":" + memoryMiB + ",\"memoryBytes\":" + memoryMiB * 1024 * 1024
        + ",\"limitMiB\":" + limitMiB + ",\"limitBytes\":" + limitMiB * 1024 * 1024
        + ",\"fraction\":" + fraction + "}]}";
  }

  /** Fluent pod builder: {@code pod("p").node(NODE).assignment(wholeGpus(NODE, 0)).obj()}. */
  static final class MakePod {
    private final String namespace;
    private final String name;
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private String uid = UUID.randomUUID().toString();
    private String node;
    private String phase = "Pending";
    private String scheduledAt;
    private String createdAt;
    private int gpus;
    private boolean share;
    private String schedulerName = "tessera-scheduler";

    MakePod(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    MakePod node(String nodeName) {
      this.node = nodeName;
      return this;
    }

    MakePod assignment(String json) {
      return annotation(PodAnnotations.GPU_ASSIGNMENT, json);
    }

    MakePod annotation(String key, String value) {
      annotations.put(key, value);
      return this;
    }

    MakePod phase(String podPhase) {
      this.phase = podPhase;
      return this;
    }

    MakePod uid(String podUid) {
      this.uid = podUid;
      return this;
    }

    /** The PodScheduled condition's time, RFC 3339. */
    MakePod scheduledAt(String time) {
      this.scheduledAt = time;
      return this;
    }

    MakePod createdAt(String time) {
      this.createdAt = time;
      return this;
    }

    /** nvidia.com/gpu limit of its one container. */
    MakePod gpus(int count) {
      this.gpus = count;
      return this;
    }

    /** One tessera.dev/gpu-share for its one container, as a fractional pod asks. */
    MakePod share() {
      this.share = true;
      return this;
    }

    MakePod schedulerName(String scheduler) {
      this.schedulerName = scheduler;
      return this;
    }

    Pod obj() {
      ContainerBuilder container = new ContainerBuilder().withName("main").withImage("cuda");
      if (gpus > 0) {
        container.withNewResources().addToLimits("nvidia.com/gpu", new Quantity(Integer.toString(gpus))).endResources();
      } else if (share) {
        container.withNewResources()
            .addToLimits(DevicePluginConfig.SHARED_RESOURCE_NAME, new Quantity("1"))
            .endResources();
      }
      PodBuilder pod = new PodBuilder()
          .withNewMetadata()
          .withNamespace(namespace)
          .withName(name)
          .withUid(uid)
          .withCreationTimestamp(createdAt)
          .withAnnotations(annotations)
          .endMetadata()
          .withNewSpec()
          .withNodeName(node)
          .withSchedulerName(schedulerName)
          .withContainers(container.build())
          .endSpec()
          .withNewStatus()
          .withPhase(phase)
          .endStatus();
      if (scheduledAt != null) {
        pod.editStatus()
            .addToConditions(new PodConditionBuilder()
                .withType("PodScheduled").withStatus("True").withLastTransitionTime(scheduledAt).build())
            .endStatus();
      }
      return pod.build();
    }
  }
}
