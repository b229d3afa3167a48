package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
  static final String RECLAIMS = "tessera.gpu.memory.loan.reclaims";
  static final String REFUSALS = "tessera.gpu.memory.refusals";
  private static final long MIB = 1024 * 1024;

  private final UsageFiles files;
  private final Processes processes;
  private final PodEvents events;
  private final Clock clock;
  private final Counter reclaimCounter;
  private final Counter refusalCounter;

  private final Map<ProcessKey, Instant> killed = new HashMap<>();
  private final Map<SlotKey, Long> refusalsSeen = new HashMap<>();
  private final Map<TenantKey, Instant> lastOomEvent = new HashMap<>();
  private final Map<TenantKey, Unreported> unreported = new HashMap<>();
  private final Set<TenantKey> unhelped = new HashSet<>();
  private boolean failing;
  private volatile ScheduledFuture<?> task;

  /** @param registry gets {@code tessera_gpu_memory_loan_reclaims_total} and {@code tessera_gpu_memory_refusals_total} */
  public GpuMemoryGuard(UsageFiles files, Processes processes, PodEvents events, MeterRegistry registry, Clock clock) {
    this.files = Objects.requireNonNull(files, "files");
    this.processes = Objects.requireNonNull(processes, "processes");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.reclaimCounter = Counter.builder(RECLAIMS)
        .description("Processes the node agent killed to take back GPU memory they had on loan.")
        .register(registry);
    this.refusalCounter = Counter.builder(REFUSALS)
        .description("GPU memory allocations the native library refused (at a container's limit, or after"
            + " waiting in vain for a loan), as the usage files count them.")
        .register(registry);
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
      if (failing) {
        failing = false;
        log.info("checking GPU memory loans works again");
      }
    } catch (RuntimeException e) {
      if (!failing) {
        failing = true;
        log.warn("checking GPU memory loans failed; retrying every {} ms, logged again once it works", PERIOD.toMillis(), e);
      }
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
    LoanPlan.Plan plan = LoanPlan.plan(onGpu, fates);
    Set<TenantKey> waitingNow = new HashSet<>();
    for (LoanPlan.Waiting w : plan.waiting()) {
      TenantKey key = TenantKey.of(w.tenant());
      waitingNow.add(key);
      if (plan.reclaims().isEmpty() && !anyDying(onGpu) && unhelped.add(key)) {
        log.warn("pod {} waits for {} MiB of its request on GPU {}, but no tenant there borrows memory: the GPU"
                + " is full by requests and CUDA's own overhead. Its allocation fails when the library stops waiting",
            w.tenant().podName(), w.bytes() / MIB, w.tenant().gpuUuid());
      }
    }
    for (GpuTenant t : onGpu) {
      if (!waitingNow.contains(TenantKey.of(t))) {
        unhelped.remove(TenantKey.of(t));
      }
    }
    for (LoanPlan.Reclaim r : plan.reclaims()) {
      kill(r, plan.waiting(), hostPids.get(ProcessKey.of(r.process())).getAsLong(), now);
    }
  }

  private boolean anyDying(List<GpuTenant> onGpu) {
    return onGpu.stream().flatMap(t -> t.processes().stream()).anyMatch(p -> killed.containsKey(ProcessKey.of(p)));
  }

  private void kill(LoanPlan.Reclaim r, List<LoanPlan.Waiting> waitingTenants, long hostPid, Instant now) {
    GpuTenant b = r.borrower();
    if (!processes.kill(hostPid)) {
      log.warn("could not kill process {} of pod {} to take back its GPU memory loan; does the agent run with"
          + " hostPID and the KILL capability?", hostPid, b.podName());
      return;
    }
    killed.put(ProcessKey.of(r.process()), now);
    reclaimCounter.increment();
    String waiting = String.join(", ", waitingTenants.stream()
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
    Set<TenantKey> tenantsNow = new HashSet<>();
    for (GpuTenant t : tenants) {
      TenantKey tenant = TenantKey.of(t);
      tenantsNow.add(tenant);
      for (TenantProcess p : t.processes()) {
        SlotKey key = new SlotKey(tenant, ProcessKey.of(p));
        present.add(key);
        Long seen = refusalsSeen.put(key, p.oomCount());
        long fresh = p.oomCount() - (seen == null ? 0 : seen);
        if (fresh > 0) {
          refusalCounter.increment(fresh);
          unreported.merge(tenant, new Unreported(fresh, p.pid()), Unreported::plus);
        }
      }
      Unreported pending = unreported.get(tenant);
      Instant last = lastOomEvent.get(tenant);
      if (pending == null || (last != null && now.isBefore(last.plus(OOM_EVENT_GAP)))) {
        continue; // nothing new, or told recently: reported together once the gap has passed
      }
      unreported.remove(tenant);
      lastOomEvent.put(tenant, now);
      long n = pending.refusals();
      events.warning(t.claim(), OUT_OF_MEMORY, "process " + pending.lastPid() + " was refused GPU memory on GPU "
          + t.gpuUuid() + " (" + n + " time" + (n == 1 ? "" : "s") + "): the container's limit is "
          + t.limitBytes() / MIB + " MiB and it uses " + t.usedBytes() / MIB + " MiB. Ask for more GPU memory"
          + " (gpu-memory or gpu-fraction, or their -limit) or make the job use less");
    }
    refusalsSeen.keySet().retainAll(present);
    lastOomEvent.keySet().retainAll(tenantsNow);
    unreported.keySet().retainAll(tenantsNow);
  }

  /** Refusals seen but not yet told, and the process last refused. */
  private record Unreported(long refusals, int lastPid) {
    Unreported plus(Unreported later) {
      return new Unreported(refusals + later.refusals, later.lastPid);
    }
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
