package dev.tessera.extender.gangs;

import dev.tessera.extender.scheduling.NodeRule;
import dev.tessera.extender.scheduling.ReasonClass;
import dev.tessera.extender.scheduling.Refusal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Nodes where pods were just evicted for a gang, held for it until it is placed: otherwise a pod
 * of lower priority (an elastic training's worker that left and was created again, say) takes the
 * freed GPUs in the moment before the gang's members are tried, and the gang preempts again. This
 * is kube-scheduler's nominated node for a whole gang: while a claim lasts, filter refuses pods of
 * lower priority than the gang on the node.
 *
 * <p>As a {@link NodeRule} its refusals are resolvable: kube-scheduler may still preempt on the
 * node for a pod of higher priority than the gang.
 *
 * <p>Writers (the gang preemption thread) replace an immutable map; filter threads read it without
 * a lock.
 */
public final class PreemptionClaims implements NodeRule {
  /** A node held for a gang of this priority until {@code until}. */
  public record Claim(String gang, int priority, Instant until) {}

  private final Clock clock;
  private volatile Map<String, Claim> byNode = Map.of();

  public PreemptionClaims(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Holds the nodes for the gang for {@code hold}, replacing weaker or older claims on them. */
  public synchronized void claim(String gang, int priority, Collection<String> nodes, Duration hold) {
    Instant until = clock.instant().plus(hold);
    Map<String, Claim> next = live();
    for (String node : nodes) {
      Claim current = next.get(node);
      if (current == null || current.gang().equals(gang) || current.priority() <= priority) {
        next.put(node, new Claim(gang, priority, until));
      }
    }
    byNode = Map.copyOf(next);
  }

  /** The gang was placed (or gave up): its nodes are free for anyone again. */
  public synchronized void release(String gang) {
    Map<String, Claim> next = live();
    next.values().removeIf(claim -> claim.gang().equals(gang));
    byNode = Map.copyOf(next);
  }

  /** Whether any node is claimed: filter asks once per call, not per node. */
  public boolean any() {
    return !byNode.isEmpty();
  }

  /**
   * Why a pod of {@code priority} may not use the node now, or null. One volatile read when nothing
   * is claimed.
   */
  public String refusal(String node, int priority) {
    Map<String, Claim> claims = byNode;
    if (claims.isEmpty()) {
      return null;
    }
    Claim claim = claims.get(node);
    if (claim == null || claim.priority() <= priority || !clock.instant().isBefore(claim.until())) {
      return null;
    }
    return "GPUs on this node were freed for gang " + claim.gang() + " (priority " + claim.priority()
        + "), which is being placed; a pod of lower priority waits until it is";
  }

  @Override
  public NodeCheck forPod(Candidate pod) {
    if (!any()) {
      return null;
    }
    int priority = pod.priority();
    return node -> {
      String why = refusal(node.name(), priority);
      return why == null ? null : new Refusal(why, false, ReasonClass.GANG);
    };
  }

  /** The claims not yet expired, as a mutable copy. */
  private Map<String, Claim> live() {
    Instant now = clock.instant();
    Map<String, Claim> live = new HashMap<>();
    byNode.forEach((node, claim) -> {
      if (now.isBefore(claim.until())) {
        live.put(node, claim);
      }
    });
    return live;
  }
}
