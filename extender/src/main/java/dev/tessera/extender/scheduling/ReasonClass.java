package dev.tessera.extender.scheduling;

import java.util.Locale;

/**
 * The few kinds of reason filter refuses a pod for, as the {@code reason} label of the
 * unschedulable and pending pods' metrics: the reasons' texts name nodes, GPUs and figures, so
 * they cannot be labels; these six can.
 */
public enum ReasonClass {
  /** No node had the GPUs (too few, too small, or busy now). */
  INSUFFICIENT_GPU,
  /** The project's limit, deserved quota (over-quota use off), department quota or fair share. */
  OVER_QUOTA,
  /** The pod's gang is incomplete, does not fit whole, or a node is held for another gang. */
  GANG,
  /** A pool the pod names does not exist, or no node of its pools was offered. */
  NODE_POOL,
  /** The pod's GPU request or pool annotation cannot be understood. */
  INVALID_REQUEST,
  /** Anything else: nodes the extender does not know yet, an earlier bind not yet settled. */
  OTHER;

  private final String tag = name().toLowerCase(Locale.ROOT).replace('_', '-');

  /** The label value: {@code insufficient-gpu}, {@code over-quota}, ... */
  public String tag() {
    return tag;
  }
}
