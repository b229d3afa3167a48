package dev.tessera.agent;

import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place the agent asks the GPUs how they are. Every period it samples the backend and the
 * container usage, builds an immutable {@link NodeSnapshot}, swaps it in and tells the listeners.
 * Scrapes and reports only read {@link #latest()}: NVML is never called on their paths, so a slow
 * or hung driver call delays freshness, not a Prometheus scrape.
 */
public final class Sampler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sampler.class);

  private final GpuBackend backend;
  private final ContainerUsageSource containers;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final Duration period;
  private final List<Consumer<NodeSnapshot>> listeners;
  private final AtomicReference<NodeSnapshot> latest;

  // Confined to the sampling thread (start() runs the first sample before scheduling the rest).
  private List<GpuInfo> inventory = List.of();
  private boolean inventoryRead;
  private boolean backendFailing;
  private boolean containersFailing;
  private ScheduledFuture<?> task;

  /**
   * @param executor runs the samples; single-threaded, so samples never overlap
   * @param listeners told of each new snapshot on the sampling thread, in order; they must be quick
   */
  public Sampler(
      GpuBackend backend,
      ContainerUsageSource containers,
      Clock clock,
      ScheduledExecutorService executor,
      Duration period,
      List<Consumer<NodeSnapshot>> listeners) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.containers = Objects.requireNonNull(containers, "containers");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.period = Objects.requireNonNull(period, "period");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("sample period must be positive, was " + period);
    }
    this.listeners = List.copyOf(listeners);
    this.latest = new AtomicReference<>(NodeSnapshot.empty(clock.instant()));
  }

  /** The newest snapshot; an empty one before the first sample. Never null, never blocks. */
  public NodeSnapshot latest() {
    return latest.get();
  }

  public Duration period() {
    return period;
  }

  /**
   * Takes the first sample now, on the sampling thread, and returns once it is in, so metrics and
   * reports start from real figures; then samples every period.
   */
  public synchronized void start() throws InterruptedException {
    if (task != null) {
      throw new IllegalStateException("sampler already started");
    }
    try {
      executor.submit(this::sampleOnce).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("first GPU sample failed: " + e.getCause().getMessage(), e.getCause());
    }
    long nanos = period.toNanos();
    // Fixed rate: samples stay on a steady 1/period cadence whatever one of them costs.
    task = executor.scheduleAtFixedRate(this::sampleOnce, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Takes one sample and publishes it. Never throws: an exception would cancel the periodic task
   * and freeze every figure the agent exports. Public for tests that drive sampling by hand.
   */
  public NodeSnapshot sampleOnce() {
    NodeSnapshot next = new NodeSnapshot(clock.instant(), sampleGpus(), readContainers());
    latest.set(next);
    for (Consumer<NodeSnapshot> listener : listeners) {
      try {
        listener.accept(next);
      } catch (RuntimeException e) {
        log.warn("snapshot listener {} failed", listener, e);
      }
    }
    return next;
  }

  private List<GpuState> sampleGpus() {
    List<GpuSample> samples;
    try {
      if (!inventoryRead) {
        inventory = backend.inventory();
        inventoryRead = true;
      }
      samples = backend.sample();
      if (!sameIndices(samples, inventory)) {
        // A GPU was lost or found: the contract says re-read the inventory then.
        inventory = backend.inventory();
        samples = backend.sample();
      }
    } catch (RuntimeException e) {
      if (!backendFailing) {
        log.warn("sampling the GPUs failed; reporting them unhealthy until it works again: {}", e.toString());
        backendFailing = true;
      }
      String reason = "sampling failed: " + e.getMessage();
      return inventory.stream().map(g -> new GpuState(g, GpuSample.unhealthy(g.index(), reason))).toList();
    }
    if (backendFailing) {
      log.info("sampling the GPUs works again");
      backendFailing = false;
    }
    return pair(inventory, samples);
  }

  /** Pairs by index; an inventory GPU with no sample is reported unhealthy rather than dropped. */
  private static List<GpuState> pair(List<GpuInfo> inventory, List<GpuSample> samples) {
    Map<Integer, GpuSample> byIndex = new HashMap<>();
    for (GpuSample s : samples) {
      byIndex.put(s.index(), s);
    }
    List<GpuState> out = new ArrayList<>(inventory.size());
    for (GpuInfo info : inventory) {
      GpuSample s = byIndex.get(info.index());
      out.add(new GpuState(info, s != null ? s : GpuSample.unhealthy(info.index(), "no sample from the GPU backend")));
    }
    return out;
  }

  private static boolean sameIndices(List<GpuSample> samples, List<GpuInfo> inventory) {
    if (samples.size() != inventory.size()) {
      return false;
    }
    for (int i = 0; i < samples.size(); i++) {
      if (samples.get(i).index() != inventory.get(i).index()) {
        return false;
      }
    }
    return true;
  }

  private List<ContainerUsage> readContainers() {
    try {
      List<ContainerUsage> read = containers.read();
      if (containersFailing) {
        log.info("reading container GPU usage works again");
        containersFailing = false;
      }
      return read;
    } catch (RuntimeException e) {
      if (!containersFailing) {
        log.warn("reading container GPU usage failed; exporting none until it works again: {}", e.toString());
        containersFailing = true;
      }
      return List.of();
    }
  }

  /** Stops sampling; the executor belongs to the caller. */
  @Override
  public synchronized void close() {
    if (task != null) {
      task.cancel(false);
    }
  }
}
