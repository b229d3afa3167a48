package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;

/** Evicts pods the scheduler takes GPUs back from; {@link ApiEvictor} against the API server. */
public interface Evictor {
  /** What became of an eviction. */
  enum Outcome {
    EVICTED,
    /** The pod (with that UID) no longer exists: nothing to do. */
    GONE,
    /** A PodDisruptionBudget forbids it now (HTTP 429). */
    BLOCKED_BY_BUDGET,
    FAILED
  }

  record Result(Outcome outcome, String detail) {
    public boolean done() {
      return outcome == Outcome.EVICTED || outcome == Outcome.GONE;
    }
  }

  /** Never throws for API failures; they come back as the result. */
  Result evict(PodKey pod);
}
