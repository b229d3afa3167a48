package dev.tessera.agent.enforce;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.agent.NodeEvents;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.XidErrors;
import dev.tessera.agent.kube.KubeApi;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link NodeEvents} as core/v1 Events on this Node, in namespace {@code default} where kubelet
 * records its own node events, from component tessera-node-agent.
 */
public final class KubeNodeEvents implements NodeEvents {
  private static final Logger log = LoggerFactory.getLogger(KubeNodeEvents.class);
  static final String NAMESPACE = "default";
  static final String UNHEALTHY = "GpuUnhealthy";
  static final String HEALTHY = "GpuHealthy";
  static final String XID = "GpuXidError";

  private final KubeApi api;
  private final String node;
  private final Clock clock;

  public KubeNodeEvents(KubeApi api, String node, Clock clock) {
    this.api = Objects.requireNonNull(api, "api");
    this.node = Objects.requireNonNull(node, "node");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void gpuUnhealthy(GpuInfo gpu, String reason) {
    record(UNHEALTHY, "Warning", describe(gpu) + " is unhealthy: " + reason);
  }

  @Override
  public void gpuHealthy(GpuInfo gpu) {
    record(HEALTHY, "Normal", describe(gpu) + " is healthy again");
  }

  @Override
  public void gpuXid(GpuInfo gpu, int xid, boolean critical) {
    record(
        XID,
        "Warning",
        describe(gpu) + " reported XID " + xid
            + (critical ? ": " + XidErrors.reason(xid) : " (an application's fault; the GPU stays healthy)"));
  }

  private void record(String reason, String type, String message) {
    api.createEvent(event(reason, type, message)).whenComplete((ok, error) -> {
      if (error != null) {
        log.warn("the {} event for node {} was not recorded ({}); it said: {}", reason, node, error.getMessage(), message);
      }
    });
  }

  ObjectNode event(String reason, String type, String message) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    ObjectNode event = f.objectNode().put("apiVersion", "v1").put("kind", "Event");
    event.putObject("metadata").put("generateName", node + ".").put("namespace", NAMESPACE);
    // kubelet names its node events' object by the node's name, uid included.
    event.putObject("involvedObject").put("apiVersion", "v1").put("kind", "Node").put("name", node).put("uid", node);
    event.put("reason", reason)
        .put("message", message)
        .put("type", type)
        .put("count", 1)
        .put("firstTimestamp", now)
        .put("lastTimestamp", now)
        .put("reportingComponent", KubePodEvents.COMPONENT)
        .put("reportingInstance", node);
    event.putObject("source").put("component", KubePodEvents.COMPONENT).put("host", node);
    return event;
  }

  private static String describe(GpuInfo gpu) {
    StringBuilder s = new StringBuilder("GPU ").append(gpu.index());
    if (!gpu.uuid().isEmpty()) {
      s.append(" (").append(gpu.uuid());
      if (!gpu.pciBusId().isEmpty()) {
        s.append(", ").append(gpu.pciBusId());
      }
      s.append(')');
    }
    return s.toString();
  }
}
