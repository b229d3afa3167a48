package dev.tessera.agent.enforce;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.agent.deviceplugin.ClaimRecord;
import dev.tessera.agent.kube.KubeApi;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link PodEvents} as core/v1 Events through the API server, from component tessera-node-agent. */
public final class KubePodEvents implements PodEvents {
  private static final Logger log = LoggerFactory.getLogger(KubePodEvents.class);
  static final String COMPONENT = "tessera-node-agent";
  /** The API server refuses longer messages. */
  private static final int MAX_MESSAGE = 1024;

  private final KubeApi api;
  private final String node;
  private final Clock clock;

  public KubePodEvents(KubeApi api, String node, Clock clock) {
    this.api = Objects.requireNonNull(api, "api");
    this.node = Objects.requireNonNull(node, "node");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void warning(ClaimRecord pod, String reason, String message) {
    record(pod, "Warning", reason, message);
  }

  @Override
  public void normal(ClaimRecord pod, String reason, String message) {
    record(pod, "Normal", reason, message);
  }

  private void record(ClaimRecord pod, String type, String reason, String message) {
    api.createEvent(event(pod, type, reason, message)).whenComplete((ok, error) -> {
      if (error != null) {
        log.warn("the {} event for pod {}/{} was not recorded ({}); it said: {}",
            reason, pod.namespace(), pod.pod(), error.getMessage(), message);
      }
    });
  }

  ObjectNode event(ClaimRecord pod, String reason, String message) {
    return event(pod, "Warning", reason, message);
  }

  ObjectNode event(ClaimRecord pod, String type, String reason, String message) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    ObjectNode event = f.objectNode().put("apiVersion", "v1").put("kind", "Event");
    event.putObject("metadata").put("generateName", pod.pod() + ".").put("namespace", pod.namespace());
    event.putObject("involvedObject")
        .put("apiVersion", "v1").put("kind", "Pod")
        .put("namespace", pod.namespace()).put("name", pod.pod()).put("uid", pod.podUid());
    event.put("reason", reason)
        .put("message", message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 1) + "…" : message)
        .put("type", type)
        .put("count", 1)
        .put("firstTimestamp", now)
        .put("lastTimestamp", now)
        .put("reportingComponent", COMPONENT)
        .put("reportingInstance", node);
    event.putObject("source").put("component", COMPONENT).put("host", node);
    return event;
  }
}
