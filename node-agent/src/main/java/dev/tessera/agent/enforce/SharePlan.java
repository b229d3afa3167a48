package dev.tessera.agent.enforce;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How much of one GPU's compute each paced tenant may use for the next tick: its own share, plus
 * part of what others leave idle while it wants more. Pure: the decision only, from what each
 * tenant used over the last tick and what the plan remembered of it.
 *
 * <ul>
 *   <li><b>Need.</b> A tenant needs what it used plus {@link Settings#headroomPercent} points;
 *       all of the GPU when its launches were held back or it used all it was let have (less
 *       {@link Settings#fullMarginPercent}): then it would use more if it could.
 *   <li><b>Lenders.</b> A tenant that has needed less than its share for {@link
 *       Settings#lendAfterTicks} ticks in a row lends the difference. It keeps the headroom, so
 *       it can grow while it lends; when its use rises by {@link Settings#reclaimRisePercent}
 *       points over what it used when it last lent, or it is held, everything it lent comes back
 *       at once (its pacing alone could not give it back: the borrowers are held to their raised
 *       shares, not to what the lender kept).
 *   <li><b>Pool.</b> What lenders lend, plus what no tenant is guaranteed (100 less their shares):
 *       that needs no waiting, nobody owns it.
 *   <li><b>Borrowers.</b> Tenants needing more than their share share the pool in proportion to
 *       their own shares (as CFS weights), each up to what it needs, never past the whole GPU.
 * </ul>
 *
 * <p>The bound: a lender that becomes busy at time t is seen using at least what it kept (the
 * borrowers' shares leave it that much) over the first whole tick after t, which is its use
 * when it lent plus the headroom, at least {@link Settings#reclaimRisePercent} more: everything
 * it lent is taken back at the end of that tick, so at most two ticks after t. The library
 * follows within its look interval (100 ms). See docs/decisions.md, "The node-level compute
 * scheduler".
 */
public final class SharePlan {
  public static final int WHOLE = 100;

  private SharePlan() {}

  /**
   * @param headroomPercent points of the GPU above its use a lender keeps, and a borrower is let
   *     have above its use
   * @param fullMarginPercent a tenant using its share in force less this many points is taken to
   *     want more
   * @param reclaimRisePercent a lender whose use rises this many points takes back all it lent;
   *     below the headroom, so a lender that uses what it kept always triggers it
   * @param lendAfterTicks how many ticks in a row a tenant must need less than its share before
   *     it lends: a short pause lends nothing
   */
  public record Settings(int headroomPercent, int fullMarginPercent, int reclaimRisePercent, int lendAfterTicks) {
    public static final Settings DEFAULT = new Settings(10, 2, 5, 4);

    public Settings {
      if (headroomPercent < 1 || headroomPercent > 50 || fullMarginPercent < 0 || fullMarginPercent >= headroomPercent
          || reclaimRisePercent < 1 || reclaimRisePercent >= headroomPercent || lendAfterTicks < 1) {
        throw new IllegalArgumentException("need 0 <= fullMargin < headroom <= 50, 1 <= reclaimRise < headroom,"
            + " lendAfterTicks >= 1; were " + headroomPercent + ", " + fullMarginPercent + ", " + reclaimRisePercent
            + ", " + lendAfterTicks);
      }
    }
  }

  /**
   * What the plan keeps of a tenant from one tick to the next.
   *
   * @param quietTicks ticks in a row it needed less than its share
   * @param lentPercent what it lent last tick
   * @param lentAtUsePercent its use when it last lent: the rise that takes the loan back is measured from it
   * @param effectivePercent the share it was let have last tick
   * @param calmAt the last tick it was not rising above {@code lentAtUsePercent}: when it last did
   *     not want its share back
   */
  public record Memory(int quietTicks, int lentPercent, double lentAtUsePercent, int effectivePercent, Instant calmAt) {
    public Memory {
      Objects.requireNonNull(calmAt, "calmAt");
    }

    /** A tenant seen for the first time: holding its own share, lending nothing. */
    public static Memory fresh(int guaranteedPercent, Instant now) {
      return new Memory(0, 0, 0, guaranteedPercent, now);
    }
  }

  /**
   * A tenant as measured over the last tick.
   *
   * @param usedPercent of the GPU's time its launches were charged over the tick; NaN when not
   *     known yet (first seen): it then neither lends nor borrows
   * @param held whether any of its launches were held back for its share during the tick
   * @param arrived first seen this tick: the share it is guaranteed just left the pool
   */
  public record Tenant(
      ComputeTenant.Key key, int guaranteedPercent, double usedPercent, boolean held, boolean arrived, Memory memory) {
    public Tenant {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(memory, "memory");
    }
  }

  /** Why a borrower's share went down: whose need it was. */
  public enum Reclaim {
    /** A lender uses its share again. */
    OWNER_BUSY,
    /** A tenant arrived on the GPU, taking its guaranteed share out of what nobody owned. */
    TENANT_ARRIVED
  }

  /**
   * The plan for one tenant.
   *
   * @param effectivePercent the share it may have this tick, at least its own
   * @param lentPercent what it lends this tick
   * @param startedBorrowing it holds more than its own share now and did not last tick
   * @param reclaim why its borrowed share was cut for another tenant's need; null when it was not
   * @param reclaimedSince for a cut: when the earliest tenant it was cut for last did not need it
   */
  public record Decision(
      Tenant tenant,
      int effectivePercent,
      int lentPercent,
      boolean startedBorrowing,
      Reclaim reclaim,
      Instant reclaimedSince,
      Memory next) {}

  /**
   * The plan for one GPU.
   *
   * @param guaranteedPercent the tenants' own shares summed (above 100 only if something
   *     over-committed the GPU)
   * @param lentPercent what borrowers hold above their own shares
   * @param idlePercent what could be lent now: unowned, plus what lenders do not use
   * @param ownersBack tenants that took back what they lent this tick
   */
  public record Gpu(
      List<Decision> decisions, int guaranteedPercent, int lentPercent, int idlePercent, List<Tenant> ownersBack) {
    public Gpu {
      decisions = List.copyOf(decisions);
      ownersBack = List.copyOf(ownersBack);
    }
  }

  /** @param tenants every paced tenant on one GPU */
  public static Gpu plan(List<Tenant> tenants, Settings settings, Instant now) {
    int n = tenants.size();
    int guaranteed = 0;
    for (Tenant t : tenants) {
      guaranteed += t.guaranteedPercent();
    }
    int[] lent = new int[n];
    int[] quiet = new int[n];
    double[] lentAt = new double[n];
    Instant[] calm = new Instant[n];
    int[] need = new int[n];
    List<Tenant> ownersBack = new ArrayList<>();
    Instant earliestBack = null;
    boolean arrivals = false;
    for (int i = 0; i < n; i++) {
      Tenant t = tenants.get(i);
      Memory m = t.memory();
      arrivals |= t.arrived();
      double used = t.usedPercent();
      if (Double.isNaN(used)) {
        need[i] = t.guaranteedPercent(); // nothing known yet: holds its own, lends and borrows nothing
        calm[i] = now;
        continue;
      }
      boolean full = t.held() || used >= m.effectivePercent() - settings.fullMarginPercent();
      need[i] = full ? WHOLE : Math.min(WHOLE, (int) Math.ceil(used) + settings.headroomPercent());
      boolean rising = used > m.lentAtUsePercent() + 1;
      calm[i] = m.lentPercent() > 0 && rising ? m.calmAt() : now;
      if (m.lentPercent() > 0 && (t.held() || used >= m.lentAtUsePercent() + settings.reclaimRisePercent())) {
        ownersBack.add(t); // everything back at once; lending starts over after a quiet spell
        earliestBack = earliest(earliestBack, m.calmAt());
        continue;
      }
      quiet[i] = need[i] < t.guaranteedPercent() ? m.quietTicks() + 1 : 0;
      if (quiet[i] >= settings.lendAfterTicks()) {
        lent[i] = t.guaranteedPercent() - need[i];
        // The mark moves with its use: a slow creep shrinks the loan tick by tick, a jump takes it all.
        lentAt[i] = used;
      }
    }
    int pool = Math.max(0, WHOLE - guaranteed);
    for (int l : lent) {
      pool += l;
    }
    int[] extra = share(tenants, need, lent, pool);
    List<Decision> decisions = new ArrayList<>(n);
    int lentOut = 0;
    for (int i = 0; i < n; i++) {
      Tenant t = tenants.get(i);
      int effective = Math.min(WHOLE, t.guaranteedPercent() + extra[i]);
      lentOut += effective - t.guaranteedPercent();
      int before = t.memory().effectivePercent();
      boolean borrowedBefore = before > t.guaranteedPercent();
      Reclaim reclaim = null;
      Instant since = null;
      if (borrowedBefore && effective < before && !ownersBack.isEmpty()) {
        reclaim = Reclaim.OWNER_BUSY;
        since = earliestBack;
      } else if (borrowedBefore && effective < before && arrivals) {
        reclaim = Reclaim.TENANT_ARRIVED;
        since = t.memory().calmAt(); // the last tick: the arrival came since
      }
      Memory next = new Memory(quiet[i], lent[i], lentAt[i], effective, calm[i]);
      decisions.add(new Decision(
          t, effective, lent[i], effective > t.guaranteedPercent() && !borrowedBefore, reclaim, since, next));
    }
    return new Gpu(decisions, guaranteed, lentOut, pool, ownersBack);
  }

  /**
   * The pool shared among tenants needing more than their own share, by weight of their shares,
   * each up to what it needs (water-filling: what one cannot use goes to the others).
   */
  private static int[] share(List<Tenant> tenants, int[] need, int[] lent, int pool) {
    int n = tenants.size();
    int[] extra = new int[n];
    int[] wants = new int[n];
    for (int i = 0; i < n; i++) {
      wants[i] = lent[i] > 0 ? 0 : Math.max(0, need[i] - tenants.get(i).guaranteedPercent());
    }
    int left = pool;
    while (left > 0) {
      long weights = 0;
      for (int i = 0; i < n; i++) {
        if (wants[i] > extra[i]) {
          weights += tenants.get(i).guaranteedPercent();
        }
      }
      if (weights == 0) {
        break;
      }
      int given = 0;
      for (int i = 0; i < n && left - given > 0; i++) {
        if (wants[i] > extra[i]) {
          int portion = (int) Math.max(1, left * (long) tenants.get(i).guaranteedPercent() / weights);
          int add = Math.min(Math.min(portion, wants[i] - extra[i]), left - given);
          extra[i] += add;
          given += add;
        }
      }
      left -= given;
    }
    return extra;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }
}
