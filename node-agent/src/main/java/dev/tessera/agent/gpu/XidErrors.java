package dev.tessera.agent.gpu;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The XID errors the driver reported for one GPU since the agent started.
 *
 * @param observed false where the agent cannot watch XIDs on this GPU (NVML events not supported):
 *     then nothing is exported for them, rather than a reassuring 0
 * @param last the most recent XID, 0 while there has been none
 * @param counts how often each XID occurred, by XID
 */
public record XidErrors(boolean observed, int last, Map<Integer, Long> counts) {
  /**
   * XIDs that a faulty application causes rather than a faulty GPU (illegal address, page fault,
   * preemptive cleanup, ...): counted, but they leave the GPU healthy. The same set NVIDIA's
   * device plugin skips.
   */
  public static final Set<Integer> APPLICATION_XIDS = Set.of(13, 31, 43, 45, 68, 109);

  public static final XidErrors NOT_OBSERVED = new XidErrors(false, 0, Map.of());
  public static final XidErrors NONE = new XidErrors(true, 0, Map.of());

  public XidErrors {
    counts = Map.copyOf(Objects.requireNonNull(counts, "counts"));
    if (!observed && (last != 0 || !counts.isEmpty())) {
      throw new IllegalArgumentException("XIDs that were not observed cannot have been counted");
    }
  }

  /** These errors and one more of {@code xid}. */
  public XidErrors plus(int xid) {
    Map<Integer, Long> next = new TreeMap<>(counts);
    next.merge(xid, 1L, Long::sum);
    return new XidErrors(true, xid, next);
  }

  /** Whether {@code xid} means the GPU itself is at fault (see {@link #APPLICATION_XIDS}). */
  public static boolean critical(int xid) {
    return !APPLICATION_XIDS.contains(xid);
  }

  /** The reason a GPU is unhealthy after XID {@code xid}. */
  public static String reason(int xid) {
    return "XID " + xid + " reported by the driver; the GPU needs a reset or the node a reboot";
  }
}
