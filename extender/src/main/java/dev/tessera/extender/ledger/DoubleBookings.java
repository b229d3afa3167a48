package dev.tessera.extender.ledger;

import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.actions.RecentKeys;

import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says so when the cluster's record has two pods on the same GPU capacity: two whole holders, a
 * whole holder beside tenants, or tenants past the GPU's memory. Tessera never places that
 * itself, but an extender before this one may have (a restart answered from a half-filled
 * cache), another scheduler may have, or a binding may have landed after its hold was given up.
 * The ledger counts every claim, so the GPU takes no new pod; this makes sure someone hears of
 * it: a WARN line and a Warning event {@value #REASON} on each pod, once per distinct overlap,
 * and the counter {@code tessera_gpu_double_bookings_total}.
 */
public final class DoubleBookings {
  private static final Logger log = LoggerFactory.getLogger(DoubleBookings.class);

  public static final String REASON = "GpuDoubleBooked";
  private static final int MAX_REMEMBERED = 10_000;

  private final PodEvents events;
  private final RecentKeys reported = new RecentKeys(MAX_REMEMBERED);
  private final Counter found;

  public DoubleBookings(PodEvents events, MeterRegistry registry) {
    this.events = Objects.requireNonNull(events, "events");
    this.found = Counter.builder("tessera.gpu.double.bookings")
        .description("GPUs found claimed by more than they have (two pods on the same capacity), each counted once")
        .register(registry);
  }

  /** Reports the node's over-committed GPUs not reported before. */
  public void check(NodeState node) {
    if (node == null || node.overcommittedGpus() == 0) {
      return;
    }
    for (NodeState.Overlap overlap : node.overlaps()) {
      String pods = overlap.pods().stream().map(PodKey::toString).collect(Collectors.joining(", "));
      String key = node.name() + "/" + overlap.gpu() + "/" + overlap.pods().stream().map(PodKey::uid).sorted()
          .collect(Collectors.joining(","));
      if (!reported.firstTime(key)) {
        continue;
      }
      found.increment();
      String message = "GPU " + overlap.gpu() + " of node " + node.name() + " is claimed by " + overlap.pods().size()
          + " pods for " + overlap.claimedMiB() + " MiB of its " + overlap.totalMiB() + " MiB (" + pods + "):"
          + " their " + dev.tessera.api.WellKnown.GPU_ASSIGNMENT + " annotations overlap, so they share"
          + " capacity none of them was promised. The extender counts every claim and places nothing more there;"
          + " delete one of these pods to end it";
      log.warn(message);
      for (PodKey pod : overlap.pods()) {
        events.warn(pod, REASON, message);
      }
    }
  }

  /** Reports every over-committed GPU of the snapshot not reported before (after a full rebuild). */
  public void checkAll(ClusterSnapshot snapshot) {
    snapshot.forEach(this::check);
  }
}
