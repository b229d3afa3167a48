package dev.tessera.demo;

import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ledger.AgentView;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.ObservedGpu;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.telemetry.AgentReports;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's node agents: every {@link #INTERVAL}, one report per GPU node the extender's cache
 * knows, handed to {@link AgentReports#accept(String, AgentView, int[])} as the gRPC service hands
 * a real agent's, so the same checks run and the same listener (the console's recorder) hears it.
 *
 * <p>The readings follow what is placed, and never contradict the ledger:
 *
 * <ul>
 *   <li>a GPU that holds pods is busy, 55 to 95 %: a level of its own, a slow sine of its own and a
 *       little noise, all drawn from a fixed seed, so each GPU draws a smooth curve of its own;
 *       an idle GPU is at 0 %;
 *   <li>memory in use is a share (60 to 90 %, fixed per pod and GPU) of what its pods hold there
 *       (a whole GPU's memory, or its share's), growing to it over {@link #WARM_UP} after the pod
 *       is first seen, as a model loads; never above what they hold, so placement, which takes the
 *       smaller of the ledger's free memory and the measured one, places exactly as without
 *       agents. Once warm it stays put: a report equal to the last one does not make the cache
 *       publish the node again.
 * </ul>
 *
 * <p>The GPUs keep the model and memory the node's labels gave them; the agents add UUIDs.
 */
public final class SimulatedAgents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SimulatedAgents.class);
  /** How often each node reports: often enough for lively curves in a demo. */
  public static final Duration INTERVAL = Duration.ofSeconds(2);
  /** How long a pod's memory takes to grow to its working set. */
  static final Duration WARM_UP = Duration.ofSeconds(20);
  static final long SEED = 20_240_501L;

  /** What a node's agent reports at one moment. */
  record Report(AgentView view, int[] busy) {}

  private final Supplier<ClusterSnapshot> ledger;
  private final AgentReports reports;
  private final Clock clock;
  private final long seed;
  /** Pod uid to when, by the clock, a report first found it holding GPUs. */
  private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
  private final ScheduledExecutorService thread;

  /**
   * @param ledger the extender's cache, whose placements the readings follow
   * @param reports where reports are accepted
   * @param thread runs the reports; {@link #close()} shuts it down
   */
  SimulatedAgents(Supplier<ClusterSnapshot> ledger, AgentReports reports, Clock clock, long seed,
      ScheduledExecutorService thread) {
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.reports = Objects.requireNonNull(reports, "reports");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.seed = seed;
    this.thread = Objects.requireNonNull(thread, "thread");
  }

  /** Agents for every GPU node of {@code ledger}, reporting from now on, every {@link #INTERVAL}. */
  public static SimulatedAgents start(Supplier<ClusterSnapshot> ledger, AgentReports reports, Clock clock) {
    SimulatedAgents agents = new SimulatedAgents(ledger, reports, clock, SEED,
        Executors.newSingleThreadScheduledExecutor(DemoThreads.daemon("tessera-demo-agents")));
    agents.thread.scheduleWithFixedDelay(agents::reportQuietly, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return agents;
  }

  private void reportQuietly() {
    try {
      reportAll();
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later round.
      log.warn("the simulated node agents could not report; trying again in {}", INTERVAL, e);
    }
  }

  /** One round: a report from every GPU node; returns how many the extender accepted. */
  int reportAll() {
    long now = clock.millis();
    int accepted = 0;
    Set<String> holding = new HashSet<>();
    for (NodeState node : ledger.get().nodes()) {
      if (node.gpuCount() == 0) {
        continue; // no GPUs, no agent
      }
      node.allocations().keySet().forEach(holding::add);
      Report report = report(node, now);
      if (reports.accept(node.name(), report.view(), report.busy())) {
        accepted++;
      }
    }
    firstSeen.keySet().retainAll(holding);
    return accepted;
  }

  /** What the node's agent measures at {@code now} (epoch millis), given what the ledger placed. */
  Report report(NodeState node, long now) {
    int gpus = node.gpuCount();
    long[] heldMiB = new long[gpus];
    long[] usedMiB = new long[gpus];
    boolean[] occupied = new boolean[gpus];
    for (Allocation allocation : node.allocations().values()) {
      String uid = allocation.pod().uid();
      long since = firstSeen.computeIfAbsent(uid, pod -> now);
      double warm = Math.min(1.0, Math.max(0, now - since) / (double) WARM_UP.toMillis());
      for (GpuShare share : allocation.assignment().shares()) {
        int i = share.index();
        if (i >= gpus) {
          continue;
        }
        long held = allocation.assignment().exclusive() ? node.totalMiB(i) : share.memoryMiB();
        heldMiB[i] += held;
        usedMiB[i] += (long) Math.floor(held * workingShare(uid, i) * warm);
        occupied[i] = true;
      }
    }
    List<GpuDevice> devices = new ArrayList<>(gpus);
    List<ObservedGpu> observed = new ArrayList<>(gpus);
    int[] busy = new int[gpus];
    for (int i = 0; i < gpus; i++) {
      GpuDevice labelled = node.gpu(i);
      devices.add(new GpuDevice(i, uuid(node.name(), i), labelled.model(), labelled.memoryMiB()));
      long total = labelled.memoryMiB();
      long used = Math.min(usedMiB[i], heldMiB[i]);
      observed.add(new ObservedGpu(total > 0 ? Math.min(used, total) : 0, true, ""));
      busy[i] = occupied[i] ? busy(node.name(), i, now) : 0;
    }
    return new Report(new AgentView(devices, observed), busy);
  }

  /** Percent busy of a GPU that holds pods: 55 to 95, smooth over time, its own curve. */
  int busy(String node, int gpu, long now) {
    String key = node + "/" + gpu;
    double level = 63 + 24 * unit(key + "/level");
    double period = 90_000 + 90_000 * unit(key + "/period");
    double phase = 2 * Math.PI * unit(key + "/phase");
    double drift = 6 * Math.sin(2 * Math.PI * now / period + phase);
    double noise = 4 * (unit(key + "/" + now / INTERVAL.toMillis()) - 0.5);
    return (int) Math.round(Math.max(55, Math.min(95, level + drift + noise)));
  }

  /** The share of what a pod holds on a GPU that it uses once warm: 0.6 to 0.9. */
  double workingShare(String podUid, int gpu) {
    return 0.6 + 0.3 * unit(podUid + "/" + gpu);
  }

  /** A number in [0, 1) fixed by the seed and the key. */
  private double unit(String key) {
    return new SplittableRandom(seed * 31 + key.hashCode()).nextDouble();
  }

  /** The same UUID for the same GPU every time, in NVML's form. */
  static String uuid(String node, int gpu) {
    return "GPU-" + UUID.nameUUIDFromBytes((node + "/" + gpu).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
