package dev.tessera.agent;

import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.XidErrors;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the snapshots for a GPU turning unhealthy or recovering, and for new XID errors: each is
 * one log line and one event on the Node. The health gauge and XID counter on {@code /metrics}
 * show the state; this tells the moment it changed to whoever reads logs or events.
 *
 * <p>A GPU unhealthy in the first snapshot is reported too (it may have failed while the agent was
 * down); one healthy from the start is not news. Confined to the sampling thread.
 */
public final class GpuHealthWatch implements Consumer<NodeSnapshot> {
  private static final Logger log = LoggerFactory.getLogger(GpuHealthWatch.class);

  private final NodeEvents events;
  /** Health by GPU index, as last seen. */
  private final Map<Integer, Boolean> healthy = new HashMap<>();
  /** XID counts by GPU index, as last seen. */
  private final Map<Integer, Map<Integer, Long>> xids = new HashMap<>();

  public GpuHealthWatch(NodeEvents events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public void accept(NodeSnapshot snapshot) {
    for (GpuState gpu : snapshot.gpus()) {
      GpuInfo info = gpu.info();
      int index = info.index();
      newXids(info, gpu.sample().xids());
      boolean now = gpu.sample().healthy();
      Boolean before = healthy.put(index, now);
      if (before == null ? !now : before != now) {
        if (now) {
          log.info("GPU {} ({}) is healthy again", index, name(info));
          events.gpuHealthy(info);
        } else {
          log.warn(
              "GPU {} ({}) is unhealthy: {}. It gets no new containers until it recovers; check it"
                  + " with nvidia-smi and the kernel log",
              index, name(info), gpu.sample().healthReason());
          events.gpuUnhealthy(info, gpu.sample().healthReason());
        }
      }
    }
  }

  private void newXids(GpuInfo info, XidErrors now) {
    Map<Integer, Long> seen = xids.getOrDefault(info.index(), Map.of());
    for (Map.Entry<Integer, Long> e : now.counts().entrySet()) {
      long more = e.getValue() - seen.getOrDefault(e.getKey(), 0L);
      if (more <= 0) {
        continue;
      }
      int xid = e.getKey();
      boolean critical = XidErrors.critical(xid);
      log.warn(
          "GPU {} ({}) reported XID {}{}: {}",
          info.index(), name(info), xid, more > 1 ? " " + more + " times" : "",
          critical
              ? "the GPU itself is at fault and is unhealthy until it is reset"
              : "an application's fault; the GPU stays healthy");
      events.gpuXid(info, xid, critical);
    }
    xids.put(info.index(), now.counts());
  }

  private static String name(GpuInfo info) {
    return info.uuid().isEmpty() ? "no UUID" : info.uuid();
  }
}
