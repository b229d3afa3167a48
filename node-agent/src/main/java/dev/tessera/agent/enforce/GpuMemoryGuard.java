package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the shared GPUs' usage files and acts on two things the native library cannot do itself:
 *
 * <ul>
 *   <li><b>Takes loans back.</b> When a tenant's allocation within its request waits because
 *       others borrowed the memory ({@code wanted_bytes} above zero), the borrowing processes
 *       {@link LoanPlan} picks are killed, with a {@value #LOAN_RECLAIMED} event on their pod.
 *   <li><b>Reports refusals.</b> When a process's refusal count grows, its pod gets a
 *       {@value #OUT_OF_MEMORY} event, at most one per container and GPU per {@link #OOM_EVENT_GAP}
 *       (a framework retrying after freeing its cache is refused in bursts).
 * </ul>
 *
 * <p>All state is confined to the one thread that runs {@link #tick()}.
 */
public final class GpuMemoryGuard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GpuMemoryGuard.class);

  public static final String LOAN_RECLAIMED = "GpuMemoryLoanReclaimed";
  public static final String OUT_OF_MEMORY = "GpuOutOfMemory";
  /** How often the files are read: well inside the library's default wait for a loan (5 s). */
  public static final Duration PERIOD = Duration.ofMillis(250);
  /** How long a killed process's memory counts as on its way back while the driver frees it. */
  static final Duration DYING = Duration.ofSeconds(5);
  static final Duration OOM_EVENT_GAP = Duration.ofSeconds(30);
  private static final long MIB = 1024 * 1024;

  private final UsageFiles files;
  private final Processes processes;
  private final PodEvents events;
  private final Clock clock;

  private final Map<ProcessKey, Instant> killed = new HashMap<>();
  private final Map<SlotKey, Long> refusalsSeen = new HashMap<>();
  private final Map<TenantKey, Instant> lastOomEvent = new HashMap<>();
  private final Set<TenantKey> unhelped = new HashSet<>();
  private ScheduledFuture<?> task;

  public GpuMemoryGuard(UsageFiles files, Processes processes, PodEvents events, Clock clock) {
    this.files = Objects.requireNonNull(files, "files");
    this.processes = Objects.requireNonNull(processes, "processes");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Runs {@link #tick()} every {@link #PERIOD} on {@code thread}, which the caller owns. */
  public GpuMemoryGuard start(ScheduledExecutorService thread) {
    task = thread.scheduleWithFixedDelay(this::tickSafely, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  @Override
  public void close() {
    if (task != null) {
      task.cancel(false);
    }
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("checking GPU memory loans failed; trying again in {} ms", PERIOD.toMillis(), e);
    }
  }

  /** One look at every usage file. */
  void tick() {
    Instant now = clock.instant();
    killed.values().removeIf(at -> !now.isBefore(at.plus(DYING)));
    List<GpuTenant> tenants = files.tenants();
    Map<String, List<GpuTenant>> byGpu = new LinkedHashMap<>();
    for (GpuTenant t : tenants) {
      byGpu.computeIfAbsent(t.gpuUuid(), g -> new ArrayList<>()).add(t);
    }
    for (List<GpuTenant> onGpu : byGpu.values()) {
      reclaimLoans(onGpu, now);
    }
    reportRefusals(tenants, now);
  }

  private void reclaimLoans(List<GpuTenant> onGpu, Instant now) {
    if (onGpu.stream().noneMatch(GpuTenant::mayWaitForLoan)) {
      return; // the usual case: no /proc lookups at all
    }
    Map<ProcessKey, OptionalLong> hostPids = new HashMap<>(); // one /proc search per process and tick
    LoanPlan.Fates fates = new LoanPlan.Fates() {
      @Override
      public boolean dying(TenantProcess process) {
        return killed.containsKey(ProcessKey.of(process));
      }

      @Override
      public boolean gone(GpuTenant tenant, TenantProcess process) {
        return hostPids.computeIfAbsent(ProcessKey.of(process), k -> processes.hostPid(tenant, process)).isEmpty();
      }
    };
    List<LoanPlan.Reclaim> plan = LoanPlan.plan(onGpu, fates);
    for (GpuTenant t : onGpu) {
      TenantKey key = TenantKey.of(t);
      long waitingFor = LoanPlan.waitingFor(t, fates);
      if (waitingFor == 0) {
        unhelped.remove(key);
      } else if (plan.isEmpty() && !anyDying(onGpu) && unhelped.add(key)) {
        log.warn("pod {} waits for {} MiB of its request on GPU {}, but no tenant there borrows memory: the GPU"
                + " is full by requests and CUDA's own overhead. Its allocation fails when the library stops waiting",
            t.podName(), waitingFor / MIB, t.gpuUuid());
      }
    }
    for (LoanPlan.Reclaim r : plan) {
      kill(r, hostPids.get(ProcessKey.of(r.process())).getAsLong(), now);
    }
  }

  private boolean anyDying(List<GpuTenant> onGpu) {
    return onGpu.stream().flatMap(t -> t.processes().stream()).anyMatch(p -> killed.containsKey(ProcessKey.of(p)));
  }

  private void kill(LoanPlan.Reclaim r, long hostPid, Instant now) {
    GpuTenant b = r.borrower();
    if (!processes.kill(hostPid)) {
      log.warn("could not kill process {} of pod {} to take back its GPU memory loan; does the agent run with"
          + " hostPID and the KILL capability?", hostPid, b.podName());
      return;
    }
    killed.put(ProcessKey.of(r.process()), now);
    String waiting = String.join(", ", r.waiting().stream()
        .map(w -> w.tenant().podName() + " (" + w.bytes() / MIB + " MiB)").toList());
    String message = "process " + r.process().pid() + " was killed to take back GPU memory it borrowed: the container"
        + " used " + b.usedBytes() / MIB + " MiB of GPU " + b.gpuUuid() + ", " + b.borrowedBytes() / MIB
        + " MiB above its request of " + b.requestBytes() / MIB + " MiB, and " + waiting
        + " needed memory within its request. Use at most the request to never be reclaimed";
    log.info("pod {}: {}", b.podName(), message);
    events.warning(b.claim(), LOAN_RECLAIMED, message);
  }

  private void reportRefusals(List<GpuTenant> tenants, Instant now) {
    Set<SlotKey> present = new HashSet<>();
    for (GpuTenant t : tenants) {
      TenantKey tenant = TenantKey.of(t);
      long newRefusals = 0;
      int lastPid = 0;
      for (TenantProcess p : t.processes()) {
        SlotKey key = new SlotKey(tenant, ProcessKey.of(p));
        present.add(key);
        long seen = refusalsSeen.getOrDefault(key, 0L);
        if (p.oomCount() > seen) {
          newRefusals += p.oomCount() - seen;
          lastPid = p.pid();
        }
      }
      Instant last = lastOomEvent.get(tenant);
      if (newRefusals == 0 || (last != null && now.isBefore(last.plus(OOM_EVENT_GAP)))) {
        continue; // nothing new, or told recently: counted once the gap has passed
      }
      for (TenantProcess p : t.processes()) {
        refusalsSeen.put(new SlotKey(tenant, ProcessKey.of(p)), p.oomCount());
      }
      lastOomEvent.put(tenant, now);
      events.warning(t.claim(), OUT_OF_MEMORY, "process " + lastPid + " was refused GPU memory on GPU " + t.gpuUuid()
          + " (" + newRefusals + " time" + (newRefusals == 1 ? "" : "s") + "): the container's limit is "
          + t.limitBytes() / MIB + " MiB and it uses " + t.usedBytes() / MIB + " MiB. Ask for more GPU memory"
          + " (gpu-memory or gpu-fraction, or their -limit) or make the job use less");
    }
    refusalsSeen.keySet().retainAll(present);
    Set<TenantKey> tenantsNow = new HashSet<>();
    for (GpuTenant t : tenants) {
      tenantsNow.add(TenantKey.of(t));
    }
    lastOomEvent.keySet().retainAll(tenantsNow);
  }

  /** A process across ticks: its pid inside the container is not enough, a start time is. */
  private record ProcessKey(int pid, long startTime, long pidNamespace) {
    static ProcessKey of(TenantProcess p) {
      return new ProcessKey(p.pid(), p.startTime(), p.pidNamespace());
    }
  }

  /** A process's slot in one container's file for one GPU: a process may use several GPUs. */
  private record SlotKey(TenantKey tenant, ProcessKey process) {}

  /** A container on one GPU. */
  private record TenantKey(String podUid, String container, int ordinal) {
    static TenantKey of(GpuTenant t) {
      ClaimRecord c = t.claim();
      return new TenantKey(c.podUid(), c.container(), t.ordinal());
    }
  }
}
