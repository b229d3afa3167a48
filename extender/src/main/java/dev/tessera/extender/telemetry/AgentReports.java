package dev.tessera.extender.telemetry;

import dev.tessera.extender.ledger.AgentView;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.scheduling.NodeState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which nodes' agents are reporting, and since when: hands fresh reports to the cache and takes
 * them back when an agent falls silent for longer than the stale limit, so placement never trusts
 * measurements older than that.
 */
public final class AgentReports {
  private static final Logger log = LoggerFactory.getLogger(AgentReports.class);
  private static final long MIB = 1024L * 1024;

  private final ClusterCache cache;
  private final Clock clock;
  private final Duration staleAfter;
  /** Guarded by this: when each reporting node's latest accepted report arrived. */
  private final Map<String, Instant> lastReport = new HashMap<>();
  /**
   * How busy each reporting node's GPUs were, by index. Kept apart from the cache: it changes with
   * every report, and placement does not use it, so it must not make the cache publish anew.
   */
  private final Map<String, int[]> utilization = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * Per reporting node, by GPU index: bytes its containers use above their requests, for the
   * metrics. Kept apart from the cache for the same reason as utilisation.
   */
  private final Map<String, long[]> borrowed = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * Per reporting node: by GPU index, the compute share its agent lent to busy tenants and the share
   * left idle, percent (-1: not said). Kept apart from the cache: it moves with every report, and
   * placement reads only the guaranteed shares, which are in the node's state.
   */
  private final Map<String, int[][]> compute = new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * When each node's agent last had a report accepted, kept after the report goes stale (so the
   * report age keeps growing while the agent is silent) until the node leaves the cache. Read by the
   * metrics without locks.
   */
  private final Map<String, Instant> lastAccepted = new java.util.concurrent.ConcurrentHashMap<>();
  private final ReportListener listener;
  /** Guarded by this: whether a listener's failure was logged at warn already (once is enough). */
  private boolean listenerFailureLogged;

  public AgentReports(ClusterCache cache, Clock clock, Duration staleAfter) {
    this(cache, clock, staleAfter, ReportListener.NONE);
  }

  /** As the three-argument constructor, telling {@code listener} of every report accepted. */
  public AgentReports(ClusterCache cache, Clock clock, Duration staleAfter, ReportListener listener) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.staleAfter = Objects.requireNonNull(staleAfter, "staleAfter");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Accepts a node's report. Serialised with {@link #expireStale} so an expiry never clears a
   * report that arrived while it ran.
   *
   * @return false when the API server has no such node
   */
  public synchronized boolean accept(String node, AgentView view) {
    return accept(node, view, new int[0]);
  }

  /** As {@link #accept(String, AgentView)}, with how busy each GPU is (percent, by index). */
  public synchronized boolean accept(String node, AgentView view, int[] busy) {
    return accept(node, view, busy, new long[view.gpus().size()]);
  }

  /** As {@link #accept(String, AgentView, int[])}, with the bytes on loan on each GPU (by index). */
  public synchronized boolean accept(String node, AgentView view, int[] busy, long[] borrowedBytes) {
    int[] none = new int[view.gpus().size()];
    java.util.Arrays.fill(none, -1);
    return accept(node, view, busy, borrowedBytes, none, none);
  }

  /**
   * As {@link #accept(String, AgentView, int[], long[])}, with each GPU's compute share lent to busy
   * tenants and left idle (percent, by index; -1 where the agent does not say).
   */
  public synchronized boolean accept(
      String node, AgentView view, int[] busy, long[] borrowedBytes, int[] computeLent, int[] computeIdle) {
    if (!cache.agentReported(node, view)) {
      utilization.remove(node);
      borrowed.remove(node);
      compute.remove(node);
      return false;
    }
    utilization.put(node, busy.clone());
    borrowed.put(node, borrowedBytes.clone());
    compute.put(node, new int[][] {computeLent.clone(), computeIdle.clone()});
    Instant now = clock.instant();
    if (listener != ReportListener.NONE) {
      tell(node, now, view, busy);
    }
    lastAccepted.put(node, now);
    if (lastReport.put(node, now) == null) {
      log.info(
          "node {}: its agent reports {} GPU(s); placement now uses the agent's inventory and measured"
              + " memory use instead of the node's labels",
          node, view.gpus().size());
    }
    return true;
  }

  /** A listener's failure must not refuse a report placement can use. */
  private void tell(String node, Instant at, AgentView view, int[] busy) {
    try {
      List<ReportListener.GpuReading> readings = new ArrayList<>(view.gpus().size());
      for (int i = 0; i < view.gpus().size(); i++) {
        GpuDevice gpu = view.gpus().get(i);
        readings.add(new ReportListener.GpuReading(
            gpu.index(), gpu.uuid(), gpu.model(), i < busy.length ? busy[i] : -1,
            view.observed().get(i).usedMiB() * MIB, gpu.memoryMiB() * MIB));
      }
      listener.accepted(node, at, List.copyOf(readings));
    } catch (RuntimeException e) {
      if (listenerFailureLogged) {
        log.debug("node {}: the report listener failed", node, e);
      } else {
        listenerFailureLogged = true;
        log.warn("node {}: the report listener failed; the report is used all the same (logged once)", node, e);
      }
    }
  }

  /** Drops the reports of agents silent for longer than the stale limit; returns their nodes. */
  public synchronized List<String> expireStale() {
    Instant limit = clock.instant().minus(staleAfter);
    List<String> expired = new ArrayList<>();
    lastReport.entrySet().removeIf(entry -> {
      if (entry.getValue().isAfter(limit)) {
        return false;
      }
      expired.add(entry.getKey());
      return true;
    });
    var known = cache.snapshot();
    lastAccepted.keySet().removeIf(node -> known.node(node) == null);
    for (String node : expired) {
      cache.agentReported(node, null);
      utilization.remove(node);
      borrowed.remove(node);
      compute.remove(node);
      log.warn(
          "node {}: no report from its agent for {}; placing by the node's labels again and"
              + " ignoring its measured GPU use. Check the tessera-node-agent pod on that node",
          node, staleAfter.toMillis() % 1000 == 0 ? staleAfter.toSeconds() + "s" : staleAfter.toMillis() + "ms");
    }
    return expired;
  }

  /**
   * How busy the busiest of these GPUs of the node is, in percent, from its agent's latest fresh
   * report; empty when no agent reports for the node or it does not list the GPU. Never blocks.
   */
  public java.util.OptionalInt busiest(String node, java.util.Collection<Integer> gpus) {
    int[] busy = utilization.get(node);
    if (busy == null || gpus.isEmpty()) {
      return java.util.OptionalInt.empty();
    }
    int most = 0;
    for (int gpu : gpus) {
      if (gpu < 0 || gpu >= busy.length) {
        return java.util.OptionalInt.empty();
      }
      most = Math.max(most, busy[gpu]);
    }
    return java.util.OptionalInt.of(most);
  }

  /**
   * Bytes the node's containers use above their requests on the GPU, by its agent's latest fresh
   * report; NaN when no agent reports for the node or the report does not list the GPU.
   */
  public double borrowedBytes(String node, int gpu) {
    long[] bytes = borrowed.get(node);
    return bytes == null || gpu < 0 || gpu >= bytes.length ? Double.NaN : bytes[gpu];
  }

  /**
   * The compute share of the GPU its node agent lent to busy tenants, percent, by its latest fresh
   * report; NaN when no agent reports for the node or it says nothing of the GPU.
   */
  public double computeLentPercent(String node, int gpu) {
    return computeFigure(node, gpu, 0);
  }

  /** As {@link #computeLentPercent}, for the share that could be lent now. */
  public double computeIdlePercent(String node, int gpu) {
    return computeFigure(node, gpu, 1);
  }

  private double computeFigure(String node, int gpu, int which) {
    int[][] figures = compute.get(node);
    if (figures == null || gpu < 0 || gpu >= figures[which].length || figures[which][gpu] < 0) {
      return Double.NaN;
    }
    return figures[which][gpu];
  }

  /** GPUs the node's latest fresh report lists; -1 when no agent reports for it. */
  public int reportedGpus(String node) {
    long[] bytes = borrowed.get(node);
    return bytes == null ? -1 : bytes.length;
  }

  /** The node as the ledger has it now, for checking a report against; null when unknown. */
  NodeState ledger(String node) {
    return cache.snapshot().node(node);
  }

  /**
   * When the node's agent last had a report accepted, stale or not; null when it has not reported
   * since this extender started (or the node left the cache). Never blocks.
   */
  public Instant lastReportAt(String node) {
    return lastAccepted.get(node);
  }

  /** Nodes whose agents currently count as reporting. */
  public synchronized int reporting() {
    return lastReport.size();
  }
}
