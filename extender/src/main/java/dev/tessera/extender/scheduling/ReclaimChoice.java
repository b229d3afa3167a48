package dev.tessera.extender.scheduling;

import java.util.List;
import java.util.Objects;

/** What reclaim decided for one pending pod: the pods to evict, or why there are none. */
public sealed interface ReclaimChoice {

  /**
   * Evict these pods so that the reclaimer fits {@code node}.
   *
   * @param victims the pods to evict, whole gangs included: gang mates may run on other nodes
   * @param reason why, in a sentence for the victims' events and the reclaimer's status
   */
  record Victims(String node, List<RunningPod> victims, String reason) implements ReclaimChoice {
    public Victims {
      Objects.requireNonNull(node, "node");
      victims = List.copyOf(victims);
      Objects.requireNonNull(reason, "reason");
      if (victims.isEmpty()) {
        throw new IllegalArgumentException("a reclaim evicts at least one pod");
      }
    }
  }

  /** Nothing to evict, and why: for the reclaimer's status. */
  record None(String why) implements ReclaimChoice {
    public None {
      Objects.requireNonNull(why, "why");
    }
  }
}
