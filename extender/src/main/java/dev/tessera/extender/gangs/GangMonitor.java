package dev.tessera.extender.gangs;

import dev.tessera.extender.actions.Evictor;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.model.PodGroup;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.PolicySnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure no gang stays partly placed past its timeout (KAI-Scheduler's stale-gang eviction):
 * a gang with members bound or reserved but fewer than {@code minMember} of them running (or
 * succeeded) for its whole {@code schedulingTimeout} loses its reservations, and its bound members
 * are evicted, so their GPUs serve others until the whole gang can start. The same applies to a
 * gang that was whole and fell below {@code minMember} (a member failed or was evicted).
 *
 * <p>Runs on one thread ({@link #check} from a scheduler); its clock starts when it first sees the
 * gang incomplete, so it acts at most one period late.
 */
public final class GangMonitor {
  private static final Logger log = LoggerFactory.getLogger(GangMonitor.class);

  public static final String TIMED_OUT = "GangTimedOut";

  private final ClusterCache cache;
  private final PodIndex pods;
  private final Supplier<PolicySnapshot> policy;
  private final Evictor evictor;
  private final PodEvents events;
  private final Clock clock;
  private final Counter timeouts;
  /** Gang key to when it was first seen partly placed. Only the checking thread touches it. */
  private final Map<String, Instant> incompleteSince = new HashMap<>();

  public GangMonitor(
      ClusterCache cache,
      PodIndex pods,
      Supplier<PolicySnapshot> policy,
      Evictor evictor,
      PodEvents events,
      Clock clock,
      MeterRegistry registry) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.evictor = Objects.requireNonNull(evictor, "evictor");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timeouts = Counter.builder("tessera.gang.timeouts")
        .description("Gangs not whole by their timeout: reservations released, members evicted")
        .register(registry);
  }

  /** Releases and evicts every gang past its timeout; returns their keys. */
  public List<String> check() {
    Instant now = clock.instant();
    Set<String> reserved = cache.reservedGangs();
    Set<String> gangs = new HashSet<>(pods.gangs());
    gangs.addAll(reserved);
    incompleteSince.keySet().retainAll(gangs);
    PolicySnapshot current = policy.get();
    List<String> timedOut = new ArrayList<>();
    for (String gang : gangs) {
      PodGroup group = current.podGroup(gang);
      if (group == null) {
        if (reserved.contains(gang)) {
          List<PodKey> released = cache.releaseGang(gang);
          log.info("pod group {} is gone; released the reservations of {} member(s)", gang, released.size());
        }
        incompleteSince.remove(gang);
        continue;
      }
      List<PodKey> bound = new ArrayList<>();
      int satisfied = 0;
      for (PodIndex.IndexedPod member : pods.gang(gang)) {
        if (member.pending() || "Failed".equals(member.phase())) {
          continue;
        }
        satisfied++;
        if (!member.finished()) {
          bound.add(member.key());
        }
      }
      if (satisfied >= group.minMember() || (bound.isEmpty() && !reserved.contains(gang))) {
        incompleteSince.remove(gang); // whole, or nothing of it placed: nothing to undo
        continue;
      }
      Instant since = incompleteSince.computeIfAbsent(gang, g -> now);
      if (Duration.between(since, now).compareTo(group.schedulingTimeout()) < 0) {
        continue;
      }
      incompleteSince.remove(gang);
      timedOut.add(gang);
      timeouts.increment();
      List<PodKey> released = cache.releaseGang(gang);
      String why = "gang " + gang + " had " + satisfied + " of its " + group.minMember()
          + " members (minMember) placed for " + group.schedulingTimeout().toSeconds()
          + "s; its reservations are released and its running members evicted so the gang can start"
          + " whole later";
      log.warn("{} ({} reservation(s) released, {} pod(s) evicted)", why, released.size(), bound.size());
      for (PodKey pod : bound) {
        Evictor.Result result = evictor.evict(pod);
        if (result.done()) {
          events.warn(pod, TIMED_OUT, why);
        } else {
          log.warn("could not evict gang member {}: {} {}; retrying next check", pod, result.outcome(), result.detail());
          incompleteSince.put(gang, since); // still overdue: try again on the next check
        }
      }
    }
    return timedOut;
  }
}
