package dev.tessera.agent;

import java.util.List;

/**
 * Where per-container GPU memory use comes from: the usage files the native library shares with
 * the agent. Read by the sampler thread once per sample period, never on a scrape.
 */
@FunctionalInterface
public interface ContainerUsageSource {

  /** No containers: an agent with no fractional pods to watch (tests, the simulated demo). */
  ContainerUsageSource NONE = List::of;

  /** Every container using a GPU of this node now, one entry per (container, GPU). */
  List<ContainerUsage> read();
}
