package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One GPU's paced tenants as the native library would run them, for the compute scheduler's
 * tests: each tenant wants some part of the GPU (its demand); under contention the library holds
 * each to the share in force, which follows what the agent wrote at most {@link
 * ComputeShareSettings#LIBRARY_LOOK} late and falls back to the tenant's own share when the lease
 * runs out. Time moves only when the test advances it, in 1 ms steps; what each tenant got is
 * charged to it, as the library charges its launches.
 */
final class SimulatedComputeGpu implements ComputeShareStore {
  private static final Duration STEP = Duration.ofMillis(1);

  final String uuid;
  private final Map<String, Tenant> tenants = new LinkedHashMap<>();
  private Instant now;

  SimulatedComputeGpu(String uuid, Instant start) {
    this.uuid = uuid;
    this.now = start;
  }

  /** A tenant of its own share, wanting {@code demandPercent} of the GPU. */
  Tenant tenant(String pod, int guaranteedPercent, int demandPercent) {
    Tenant t = new Tenant(new ClaimRecord("team", pod, "uid-" + pod, "main", List.of(uuid)), guaranteedPercent);
    t.demand = demandPercent;
    t.libraryShare = guaranteedPercent;
    t.nextLook = now;
    tenants.put(pod, t);
    return t;
  }

  void remove(String pod) {
    tenants.remove(pod);
  }

  Tenant get(String pod) {
    return tenants.get(pod);
  }

  Instant now() {
    return now;
  }

  /** Runs the GPU for {@code time}, calling {@code each} after every step with what each tenant got. */
  void run(Duration time, StepListener each) {
    Instant end = now.plus(time);
    while (now.isBefore(end)) {
      step(each);
    }
  }

  void run(Duration time) {
    run(time, (at, got) -> {});
  }

  /** Told after each step: what each tenant got of the GPU, percent, by pod. */
  @FunctionalInterface
  interface StepListener {
    void step(Instant at, Map<String, Double> got);
  }

  private void step(StepListener each) {
    for (Tenant t : tenants.values()) {
      if (!now.isBefore(t.nextLook)) { // the library's look at the file, every 100 ms
        t.libraryShare = t.leaseUntil != null && now.isBefore(t.leaseUntil) && t.effective > t.guaranteed
            ? t.effective : t.guaranteed;
        t.nextLook = now.plus(ComputeShareSettings.LIBRARY_LOOK);
      }
    }
    double wanted = 0;
    double capped = 0;
    for (Tenant t : tenants.values()) {
      wanted += t.demand;
      capped += Math.min(t.demand, t.libraryShare);
    }
    Map<String, Double> got = new LinkedHashMap<>();
    for (Map.Entry<String, Tenant> e : tenants.entrySet()) {
      Tenant t = e.getValue();
      double share;
      if (wanted <= 100) {
        share = t.demand; // nobody waits for anybody: nobody is held
      } else if (capped <= 100) {
        share = Math.min(t.demand, t.libraryShare); // each held to its share; the rest idles
      } else {
        share = Math.min(t.demand, t.libraryShare) * 100 / capped; // shares past the GPU: time-sliced
      }
      t.charged += (long) (share / 100 * STEP.toNanos());
      if (share < t.demand && wanted > 100) {
        t.held += STEP.toNanos();
      }
      got.put(e.getKey(), share);
    }
    now = now.plus(STEP);
    each.step(now, got);
  }

  @Override
  public List<ComputeTenant> read() {
    List<ComputeTenant> out = new ArrayList<>();
    for (Tenant t : tenants.values()) {
      out.add(new ComputeTenant(t.claim, 0, uuid, t.guaranteed, t.effective,
          t.leaseUntil == null ? 0 : t.leaseUntil.toEpochMilli(), t.charged, t.held));
    }
    return out;
  }

  @Override
  public boolean set(ComputeTenant tenant, int effectivePercent, Instant leaseUntil) {
    Tenant t = tenants.get(tenant.claim().pod());
    if (t == null) {
      return false;
    }
    t.effective = effectivePercent;
    t.leaseUntil = leaseUntil;
    t.writes++;
    return true;
  }

  /** One tenant: what it wants and what the agent wrote for it. */
  static final class Tenant {
    final ClaimRecord claim;
    final int guaranteed;
    int demand;
    int effective;
    Instant leaseUntil;
    int libraryShare;
    Instant nextLook;
    long charged;
    long held;
    int writes;

    Tenant(ClaimRecord claim, int guaranteed) {
      this.claim = claim;
      this.guaranteed = guaranteed;
    }

    /** The share the agent wrote, in force while its lease lasts; the tenant's own after. */
    int written(Instant at) {
      return leaseUntil != null && at.isBefore(leaseUntil) && effective > guaranteed ? effective : guaranteed;
    }
  }
}
