package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.GpuRequestParser;
import dev.tessera.extender.scheduling.PodTraits;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads a fabric8 {@link Pod}'s GPU request the way {@link GpuRequestParser} defines it: the
 * fraction annotations, and per container its {@code nvidia.com/gpu} limit (or request when the
 * limit is absent) as written.
 *
 * <p>Init containers with {@code restartPolicy: Always} (sidecars) run for the pod's whole life,
 * so they count with the app containers, not with the init containers that run one at a time.
 */
public final class PodRequests {
  private PodRequests() {}

  /** The pod's GPU request; {@link GpuRequest#invalid} with a reason for a bad one, never throws on user input. */
  public static GpuRequest of(Pod pod) {
    ObjectMeta meta = pod.getMetadata();
    Map<String, String> annotations =
        meta == null || meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    PodSpec spec = pod.getSpec();
    List<String> app = new ArrayList<>();
    List<String> init = new ArrayList<>();
    if (spec != null) {
      if (spec.getContainers() != null) {
        for (Container container : spec.getContainers()) {
          app.add(gpuQuantity(container));
        }
      }
      if (spec.getInitContainers() != null) {
        for (Container container : spec.getInitContainers()) {
          if ("Always".equals(container.getRestartPolicy())) {
            app.add(gpuQuantity(container));
          } else {
            init.add(gpuQuantity(container));
          }
        }
      }
    }
    return GpuRequestParser.parse(annotations, app, init);
  }

  /**
   * Whether some container asks for {@value WellKnown#GPU_SHARE_RESOURCE}. A fractional pod
   * without it is placed and bound, but kubelet never asks the node agent for its GPU, so its
   * container would start without one.
   */
  public static boolean asksForGpuShare(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return false;
    }
    List<Container> all = new ArrayList<>();
    if (spec.getContainers() != null) {
      all.addAll(spec.getContainers());
    }
    if (spec.getInitContainers() != null) {
      all.addAll(spec.getInitContainers());
    }
    for (Container container : all) {
      if (quantity(container, WellKnown.GPU_SHARE_RESOURCE) != null) {
        return true;
      }
    }
    return false;
  }

  /** What the pod's labels and annotations say about its gang, pools and preemptibility. */
  public static PodTraits traitsOf(Pod pod) {
    ObjectMeta meta = Objects.requireNonNull(pod.getMetadata(), "pod metadata");
    return PodTraits.of(
        meta.getNamespace(),
        meta.getLabels() == null ? Map.of() : meta.getLabels(),
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations());
  }

  /** The pod's identity; the pod must have a namespace, name and UID (every stored pod has). */
  public static PodKey keyOf(Pod pod) {
    ObjectMeta meta = Objects.requireNonNull(pod.getMetadata(), "pod metadata");
    return new PodKey(meta.getNamespace(), meta.getName(), meta.getUid());
  }

  /** The container's {@code nvidia.com/gpu} limit, else request, as written; null when neither. */
  static String gpuQuantity(Container container) {
    Quantity quantity = quantity(container, WellKnown.GPU_RESOURCE);
    if (quantity == null) {
      return null;
    }
    String amount = quantity.getAmount() == null ? "" : quantity.getAmount();
    String format = quantity.getFormat() == null ? "" : quantity.getFormat();
    return amount + format;
  }

  /** The container's limit of {@code resource}, else its request; null when neither is set. */
  private static Quantity quantity(Container container, String resource) {
    ResourceRequirements resources = container.getResources();
    if (resources == null) {
      return null;
    }
    Quantity limit = resources.getLimits() == null ? null : resources.getLimits().get(resource);
    if (limit != null) {
      return limit;
    }
    return resources.getRequests() == null ? null : resources.getRequests().get(resource);
  }
}
