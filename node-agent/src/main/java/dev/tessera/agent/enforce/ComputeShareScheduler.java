package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-level scheduler for compute: every {@link ComputeShareSettings#interval} it measures
 * what each paced tenant of each GPU used (the time the native library charged to its launches),
 * decides with {@link SharePlan} who may use more than its own share and who wants its share back,
 * and writes the shares, with a lease, where the library reads them.
 *
 * <p>Each decision is on {@code /metrics} (shares per container, lent and idle per GPU, counters of
 * loans and reclaims, how long each reclaim took) and, at most once a minute per pod, GPU and kind,
 * a Normal event on the borrower's pod ({@value #LENT}, {@value #RECLAIMED}).
 *
 * <p>All state is confined to the scheduling thread, and {@link #close} waits for a tick in
 * progress: closing gives every lent share back at once rather than when its lease runs out.
 */
public final class ComputeShareScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ComputeShareScheduler.class);

  public static final String LENT = "GpuComputeShareLent";
  public static final String RECLAIMED = "GpuComputeShareReclaimed";
  static final Duration EVENT_GAP = Duration.ofMinutes(1);
  static final String LENDS = "tessera.gpu.compute.share.lends";
  static final String RECLAIMS = "tessera.gpu.compute.share.reclaims";
  static final String RECLAIM_TIME = "tessera.gpu.compute.share.reclaim";
  public static final String TENANT_SHARE = "tessera_container_gpu_compute_share_percent";
  public static final String TENANT_USED = "tessera_container_gpu_compute_used_percent";
  public static final String GPU_GUARANTEED = "tessera_gpu_compute_share_guaranteed_percent";
  public static final String GPU_LENT = "tessera_gpu_compute_share_lent_percent";
  public static final String GPU_IDLE = "tessera_gpu_compute_share_idle_percent";

  private final ComputeShareStore store;
  private final PodEvents events;
  private final MeterRegistry registry;
  private final Clock clock;
  private final ComputeShareSettings settings;
  private final SharePlan.Settings planSettings;
  private final Timer reclaimTime;
  private final AtomicReference<ComputeShareState> latest;
  private final Gauges gauges;

  private final Map<ComputeTenant.Key, Track> tracks = new HashMap<>();
  private final Map<ComputeTenant.Key, ComputeTenant> known = new HashMap<>();
  private final Map<EventKey, Told> told = new HashMap<>();
  private boolean failing;
  private boolean closed;
  private ScheduledFuture<?> task;

  /**
   * @param registry gets the scheduler's gauges, {@code tessera_gpu_compute_share_lends_total},
   *     {@code tessera_gpu_compute_share_reclaims_total} and {@code
   *     tessera_gpu_compute_share_reclaim_seconds}
   */
  public ComputeShareScheduler(
      ComputeShareStore store, PodEvents events, MeterRegistry registry, Clock clock, ComputeShareSettings settings) {
    this(store, events, registry, clock, settings, new AtomicReference<>(ComputeShareState.NONE));
  }

  /** @param published where each tick's decisions go, for readers wired before the scheduler (reports) */
  public ComputeShareScheduler(
      ComputeShareStore store,
      PodEvents events,
      MeterRegistry registry,
      Clock clock,
      ComputeShareSettings settings,
      AtomicReference<ComputeShareState> published) {
    this.latest = Objects.requireNonNull(published, "published");
    this.store = Objects.requireNonNull(store, "store");
    this.events = Objects.requireNonNull(events, "events");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.planSettings = settings.plan();
    this.reclaimTime = Timer.builder(RECLAIM_TIME)
        .description("From the last tick a tenant did not need what it had lent to the tick that took it back from"
            + " the borrower; the library follows within 0.1 s more")
        .serviceLevelObjectives(
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(750),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5))
        .register(registry);
    this.gauges = new Gauges(registry, latest);
  }

  /** Runs {@link #tick()} every interval on {@code thread}, which the caller owns. */
  public synchronized ComputeShareScheduler start(ScheduledExecutorService thread) {
    long period = settings.interval().toNanos();
    task = thread.scheduleAtFixedRate(this::tickSafely, period, period, TimeUnit.NANOSECONDS);
    log.info("compute shares: lending idle shares every {} ms; a lent share comes back within {} ms of its owner"
        + " needing it", settings.interval().toMillis(), settings.reclaimBound().toMillis());
    return this;
  }

  /** The latest decisions; never blocks. */
  public ComputeShareState latest() {
    return latest.get();
  }

  /** Stops, and gives every lent share back now (a lease that runs out would too, later). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (task != null) {
      task.cancel(false);
    }
    Instant now = clock.instant();
    for (Map.Entry<ComputeTenant.Key, ComputeTenant> e : known.entrySet()) {
      Track track = tracks.get(e.getKey());
      if (track != null && track.memory.effectivePercent() > e.getValue().guaranteedPercent()) {
        store.set(e.getValue(), e.getValue().guaranteedPercent(), now);
      }
    }
    latest.set(ComputeShareState.NONE);
    gauges.publish(ComputeShareState.NONE);
  }

  private void tickSafely() {
    try {
      tick();
      if (failing) {
        failing = false;
        log.info("setting compute shares works again");
      }
    } catch (RuntimeException e) {
      if (!failing) {
        failing = true;
        log.warn("setting compute shares failed; retrying every {} ms, logged again once it works",
            settings.interval().toMillis(), e);
      }
    }
  }

  /** One round: measure, decide, write, tell. */
  synchronized void tick() {
    if (closed) {
      return;
    }
    Instant now = clock.instant();
    Instant leaseUntil = now.plus(settings.lease());
    Map<String, List<ComputeTenant>> byGpu = new LinkedHashMap<>();
    Set<ComputeTenant.Key> present = new HashSet<>();
    for (ComputeTenant t : store.read()) {
      byGpu.computeIfAbsent(t.gpuUuid(), g -> new ArrayList<>()).add(t);
      present.add(t.key());
    }
    List<ComputeShareState.GpuShares> gpus = new ArrayList<>();
    List<ComputeShareState.TenantShare> shares = new ArrayList<>();
    for (Map.Entry<String, List<ComputeTenant>> gpu : byGpu.entrySet()) {
      List<SharePlan.Tenant> measured = new ArrayList<>();
      for (ComputeTenant t : gpu.getValue()) {
        measured.add(measure(t, now));
      }
      SharePlan.Gpu plan = SharePlan.plan(measured, planSettings, now);
      for (int i = 0; i < plan.decisions().size(); i++) {
        SharePlan.Decision d = plan.decisions().get(i);
        ComputeTenant t = gpu.getValue().get(i);
        store.set(t, d.effectivePercent(), leaseUntil);
        tracks.put(t.key(), new Track(t.chargedNanos(), t.heldNanos(), now, d.next()));
        known.put(t.key(), t);
        shares.add(new ComputeShareState.TenantShare(
            t.claim(), t.gpuUuid(), t.guaranteedPercent(), d.effectivePercent(), d.tenant().usedPercent()));
        tell(gpu.getKey(), gpu.getValue(), plan, d, now);
      }
      gpus.add(new ComputeShareState.GpuShares(
          gpu.getKey(), plan.guaranteedPercent(), plan.lentPercent(), plan.idlePercent(), gpu.getValue().size()));
    }
    tracks.keySet().retainAll(present);
    known.keySet().retainAll(present);
    told.keySet().removeIf(k -> !present.contains(k.tenant()));
    ComputeShareState state = new ComputeShareState(now, gpus, shares);
    latest.set(state);
    gauges.publish(state);
  }

  /** The tenant as used over the time since the last tick. */
  private SharePlan.Tenant measure(ComputeTenant t, Instant now) {
    Track track = tracks.get(t.key());
    if (track == null || t.chargedNanos() < track.charged || !now.isAfter(track.at)) {
      // First seen (or its file was made anew): nothing to measure against yet.
      return new SharePlan.Tenant(t.key(), t.guaranteedPercent(), Double.NaN, false, track == null,
          SharePlan.Memory.fresh(t.guaranteedPercent(), now));
    }
    double wall = Duration.between(track.at, now).toNanos();
    double used = Math.min(100.0, 100.0 * (t.chargedNanos() - track.charged) / wall);
    boolean held = t.heldNanos() > track.held;
    return new SharePlan.Tenant(t.key(), t.guaranteedPercent(), used, held, false, track.memory);
  }

  private void tell(String gpu, List<ComputeTenant> onGpu, SharePlan.Gpu plan, SharePlan.Decision d, Instant now) {
    ComputeTenant t = find(onGpu, d.tenant().key());
    if (d.startedBorrowing()) {
      boolean fromTenants = plan.decisions().stream().anyMatch(x -> x.lentPercent() > 0);
      Counter.builder(LENDS)
          .description("Times a paced tenant was let use more than its own compute share of a GPU")
          .tags("UUID", gpu, "source", fromTenants ? "idle-tenants" : "unassigned")
          .register(registry)
          .increment();
      String lenders = plan.decisions().stream().filter(x -> x.lentPercent() > 0)
          .map(x -> find(onGpu, x.tenant().key()).podName() + " uses " + percent(x.tenant().usedPercent())
              + " of its " + x.tenant().guaranteedPercent() + "%")
          .collect(Collectors.joining(", "));
      int unowned = Math.max(0, 100 - plan.guaranteedPercent());
      String from = (lenders.isEmpty() ? "" : lenders) + (lenders.isEmpty() || unowned == 0 ? "" : "; ")
          + (unowned == 0 ? "" : unowned + "% is nobody's");
      String message = "may use up to " + d.effectivePercent() + "% of GPU " + gpu + "'s compute, above its own "
          + t.guaranteedPercent() + "%, while it wants more and the GPU's other tenants leave theirs idle (" + from
          + "). What it borrows goes back to its owners within " + seconds(settings.reclaimBound())
          + " of their needing it";
      log.info("pod {}: {}", t.podName(), message);
      event(t, LENT, message, now);
    }
    if (d.reclaim() != null) {
      Duration took = Duration.between(d.reclaimedSince(), now);
      String reason = d.reclaim().name().toLowerCase(Locale.ROOT).replace('_', '-');
      Counter.builder(RECLAIMS)
          .description("Times a borrowed compute share was taken back for a tenant that needed its own")
          .tags("UUID", gpu, "reason", reason)
          .register(registry)
          .increment();
      reclaimTime.record(took);
      String why = d.reclaim() == SharePlan.Reclaim.OWNER_BUSY
          ? plan.ownersBack().stream().map(o -> find(onGpu, o.key()).podName()).collect(Collectors.joining(", "))
              + (plan.ownersBack().size() == 1 ? " needs its share" : " need their shares") + " again; taken back "
              + seconds(took) + " after last seen not needing it"
          : "a tenant arrived on the GPU with a share of its own";
      String message = "back to " + d.effectivePercent() + "% of GPU " + gpu + "'s compute (from "
          + d.tenant().memory().effectivePercent() + "%): " + why;
      log.info("pod {}: {}", t.podName(), message);
      event(t, RECLAIMED, message, now);
    }
  }

  /** A Normal event, at most one per pod, GPU and reason per {@link #EVENT_GAP}; the rest are counted into the next. */
  private void event(ComputeTenant t, String reason, String message, Instant now) {
    EventKey key = new EventKey(t.key(), reason);
    Told last = told.get(key);
    if (last != null && now.isBefore(last.at.plus(EVENT_GAP))) {
      told.put(key, new Told(last.at, last.unsaid + 1));
      return;
    }
    int unsaid = last == null ? 0 : last.unsaid;
    events.normal(t.claim(), reason, unsaid == 0 ? message
        : message + " (and " + unsaid + " time" + (unsaid == 1 ? "" : "s") + " more since the last such event)");
    told.put(key, new Told(now, 0));
  }

  private static ComputeTenant find(List<ComputeTenant> onGpu, ComputeTenant.Key key) {
    for (ComputeTenant t : onGpu) {
      if (t.key().equals(key)) {
        return t;
      }
    }
    throw new IllegalStateException("no tenant " + key + " on the GPU"); // the plan only names tenants it was given
  }

  private static String percent(double value) {
    return Double.isNaN(value) ? "an unknown part" : Math.round(value) + "%";
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
  }

  /** What was measured of a tenant at the last tick, and what the plan remembers of it. */
  private record Track(long charged, long held, Instant at, SharePlan.Memory memory) {}

  private record EventKey(ComputeTenant.Key tenant, String reason) {}

  /** When the last event of a kind was recorded, and how many were held back since. */
  private record Told(Instant at, int unsaid) {}

  /** The per-container and per-GPU gauges over the latest state; rows change only when tenants come or go. */
  private static final class Gauges {
    private final AtomicReference<ComputeShareState> state;
    private final MultiGauge share;
    private final MultiGauge used;
    private final MultiGauge guaranteed;
    private final MultiGauge lent;
    private final MultiGauge idle;
    private Set<String> rows = Set.of();

    Gauges(MeterRegistry registry, AtomicReference<ComputeShareState> state) {
      this.state = state;
      this.share = MultiGauge.builder(TENANT_SHARE)
          .description("Share of the GPU's compute the container is guaranteed (share=guaranteed) and may use now"
              + " (share=effective, above guaranteed while others' idle shares are lent to it), in percent")
          .register(registry);
      this.used = MultiGauge.builder(TENANT_USED)
          .description("GPU time the native library charged to the container's kernel launches over the last"
              + " scheduler tick, in percent of the GPU")
          .register(registry);
      this.guaranteed = MultiGauge.builder(GPU_GUARANTEED)
          .description("The paced tenants' own compute shares of the GPU summed, in percent")
          .register(registry);
      this.lent = MultiGauge.builder(GPU_LENT)
          .description("Compute share of the GPU that tenants hold above their own now, in percent")
          .register(registry);
      this.idle = MultiGauge.builder(GPU_IDLE)
          .description("Compute share of the GPU that could be lent now (nobody's, or unused by its owner), in percent")
          .register(registry);
    }

    void publish(ComputeShareState next) {
      Set<String> nextRows = new HashSet<>();
      next.tenants().forEach(t -> nextRows.add(t.claim().podUid() + "/" + t.claim().container() + "/" + t.gpuUuid()));
      next.gpus().forEach(g -> nextRows.add(g.gpuUuid()));
      if (nextRows.equals(rows)) {
        return; // the values are read from the state when scraped
      }
      rows = nextRows;
      List<MultiGauge.Row<?>> shares = new ArrayList<>();
      List<MultiGauge.Row<?>> uses = new ArrayList<>();
      for (ComputeShareState.TenantShare t : next.tenants()) {
        Tags tags = tags(t.claim(), t.gpuUuid());
        shares.add(row(tags.and("share", "guaranteed"), t, ComputeShareState.TenantShare::guaranteedPercent));
        shares.add(row(tags.and("share", "effective"), t, ComputeShareState.TenantShare::effectivePercent));
        uses.add(row(tags, t, ComputeShareState.TenantShare::usedPercent));
      }
      share.register(shares, true);
      used.register(uses, true);
      guaranteed.register(gpuRows(next, ComputeShareState.GpuShares::guaranteedPercent), true);
      lent.register(gpuRows(next, ComputeShareState.GpuShares::lentPercent), true);
      idle.register(gpuRows(next, ComputeShareState.GpuShares::idlePercent), true);
    }

    private MultiGauge.Row<?> row(
        Tags tags, ComputeShareState.TenantShare of, ToDoubleFunction<ComputeShareState.TenantShare> figure) {
      ClaimRecord claim = of.claim();
      String gpu = of.gpuUuid();
      return MultiGauge.Row.of(tags, state, s -> s.get().tenants().stream()
          .filter(t -> t.gpuUuid().equals(gpu) && t.claim().podUid().equals(claim.podUid())
              && t.claim().container().equals(claim.container()))
          .mapToDouble(figure).findFirst().orElse(Double.NaN));
    }

    private List<MultiGauge.Row<?>> gpuRows(ComputeShareState next, ToDoubleFunction<ComputeShareState.GpuShares> figure) {
      List<MultiGauge.Row<?>> out = new ArrayList<>();
      for (ComputeShareState.GpuShares g : next.gpus()) {
        String uuid = g.gpuUuid();
        out.add(MultiGauge.Row.of(Tags.of("UUID", uuid), state,
            s -> s.get().gpu(uuid).map(figure::applyAsDouble).orElse(Double.NaN)));
      }
      return out;
    }

    private static Tags tags(ClaimRecord claim, String gpu) {
      return Tags.of("pod", claim.pod(), "namespace", claim.namespace(), "container", claim.container(), "UUID", gpu);
    }
  }
}
