package dev.tessera.extender.scheduling;

import java.util.Arrays;
import java.util.Objects;

/**
 * Each project's fair share of GPUs in one node pool: what it should hold given what every project
 * asks for now. Queue order and reclaim compare a project's allocation with it, so it is a pure
 * function of quotas and demand (KAI-Scheduler keeps quota and computed share apart the same way).
 *
 * <p>Water-filling in two phases:
 *
 * <ol>
 *   <li>Deserved first: each claim gets min(demand, deserved, limit). A department whose claims'
 *       deserved GPUs add up to more than its quota has them scaled down in proportion; if the
 *       pool cannot cover what remains (deserved quotas oversubscribed, or GPUs went unhealthy),
 *       all are scaled down in proportion, so nobody's guarantee depends on an order of projects.
 *   <li>Over quota: the GPUs left are poured into the claims that allow over-quota use, have a
 *       weight and still want more (up to min(demand, limit)), in proportion to weight. A claim
 *       stops rising when it has all it wants; a department's claims stop together when the
 *       department reaches its quota; what they would have had goes to the claims still rising.
 * </ol>
 *
 * <p>The second phase is weighted max-min fairness: the result is what rounds of "each active
 * claim gets R·w/Σw, capped; the leftover goes round again" converge to. Rather than run rounds
 * (one per claim that stops, so rounds × claims work), it sorts claims by the level, in GPUs per
 * unit of weight, at which each stops, and finds in one pass the level at which the GPUs run out:
 * two sorts (the second of a nearly sorted order), and microseconds for hundreds of projects.
 *
 * <p>Where it differs from KAI: KAI hands out over-quota GPUs by queue priority first and by weight
 * within a priority; here weight alone decides (priority orders pods within a project). KAI's
 * parent queues are a full level that takes a share and divides it among children; here a
 * department only caps the sum of its projects' shares.
 *
 * <p>The static {@link #compute(double, Claim[], double[])} allocates its result and scratch; an
 * instance reuses its scratch arrays, and {@link #compute(double, Claim[], double[], double[])}
 * writes into the caller's array, so a recomputation allocates nothing once the arrays are large
 * enough. An instance is not thread-safe.
 */
public final class FairShare {
  /** GPUs left over below this are not worth another pass. */
  static final double EPSILON = 1e-9;
  /** Runs this short are insertion-sorted before merging. */
  private static final int RUN = 16;

  /**
   * One project's standing in the pool.
   *
   * @param deserved GPUs it is guaranteed when it has demand for them
   * @param overQuotaWeight its share, relative to the others', of GPUs beyond deserved
   * @param limit the most GPUs it may hold; {@link dev.tessera.extender.model.PoolQuota#UNLIMITED}
   *     for none
   * @param overQuotaAllowed whether it may have GPUs beyond deserved at all
   * @param demand GPUs it holds plus GPUs its pending pods ask for
   * @param department index into the department quotas, or -1 for no department
   */
  public record Claim(
      double deserved,
      double overQuotaWeight,
      double limit,
      boolean overQuotaAllowed,
      double demand,
      int department) {
    public Claim {
      if (!(deserved >= 0) || Double.isInfinite(deserved)) {
        throw new IllegalArgumentException("deserved GPUs must be a finite number >= 0, was " + deserved);
      }
      if (!(overQuotaWeight >= 0) || Double.isInfinite(overQuotaWeight)) {
        throw new IllegalArgumentException(
            "over-quota weight must be a finite number >= 0, was " + overQuotaWeight);
      }
      if (!(limit >= 0)) {
        throw new IllegalArgumentException("limit must be >= 0 GPUs, was " + limit);
      }
      if (!(demand >= 0) || Double.isInfinite(demand)) {
        throw new IllegalArgumentException("demand must be a finite number >= 0 GPUs, was " + demand);
      }
      if (department < -1) {
        throw new IllegalArgumentException(
            "department must be an index >= 0, or -1 for none, was " + department);
      }
    }

    /** The most it can be given: what it asks for, within its limit. */
    double cap() {
      return Math.min(demand, limit);
    }
  }

  // Scratch. By position in the sort: the over-quota claims (indices into the claims), the level
  // at which each stops rising, and the weight of the claims (of the department, then of the pool)
  // at that position and after; and room for setting aside half a run while merging.
  private int[] order = new int[0];
  private double[] level = new double[0];
  private double[] weightFromHere = new double[0];
  private int[] orderAside = new int[0];
  private double[] levelAside = new double[0];
  // By department: GPUs of phase 1, room left for phase 2, GPUs of its claims that stopped before
  // it, running weight sum, and the level at which it stops rising.
  private double[] used = new double[0];
  private double[] room = new double[0];
  private double[] filled = new double[0];
  private double[] weightBehind = new double[0];
  private double[] stopLevel = new double[0];

  /** Scratch for claims and departments, grown as needed and reused across calls. */
  public FairShare() {}

  /**
   * Fair share per claim, in the claims' order.
   *
   * @param capacity healthy GPUs in the pool
   * @param departmentQuota per department, the cap on the sum of its claims' fair shares
   *     ({@code +infinity} for none)
   */
  public static double[] compute(double capacity, Claim[] claims, double[] departmentQuota) {
    Objects.requireNonNull(claims, "claims");
    return new FairShare().compute(capacity, claims, departmentQuota, new double[claims.length]);
  }

  /**
   * As {@link #compute(double, Claim[], double[])}, writing claim i's share into {@code
   * result[i]} (entries past the claims are left alone) and reusing this instance's scratch.
   * Returns {@code result}.
   */
  public double[] compute(double capacity, Claim[] claims, double[] departmentQuota, double[] result) {
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(departmentQuota, "departmentQuota");
    Objects.requireNonNull(result, "result");
    validate(capacity, claims, departmentQuota, result);
    int n = claims.length;
    int departments = departmentQuota.length;
    grow(n, departments);

    double rest = deserved(capacity, claims, departmentQuota, result);
    if (rest > EPSILON) {
      overQuota(rest, claims, n, departmentQuota, departments, result);
    }
    return result;
  }

  private static void validate(double capacity, Claim[] claims, double[] departmentQuota, double[] result) {
    if (!(capacity >= 0) || Double.isInfinite(capacity)) {
      throw new IllegalArgumentException("capacity must be a finite number >= 0 GPUs, was " + capacity);
    }
    for (int k = 0; k < departmentQuota.length; k++) {
      if (!(departmentQuota[k] >= 0)) {
        throw new IllegalArgumentException(
            "department " + k + ": quota must be >= 0 GPUs, was " + departmentQuota[k]);
      }
    }
    if (result.length < claims.length) {
      throw new IllegalArgumentException(
          "result has room for " + result.length + " shares, but there are " + claims.length + " claims");
    }
    for (int i = 0; i < claims.length; i++) {
      Claim claim = claims[i];
      if (claim == null) {
        throw new IllegalArgumentException("claim " + i + " is null");
      }
      if (claim.department() >= departmentQuota.length) {
        throw new IllegalArgumentException(
            "claim " + i + ": department " + claim.department() + ", but there are only "
                + departmentQuota.length + " department quotas");
      }
    }
  }

  /**
   * Phase 1: writes each claim's deserved GPUs into {@code result}, scaled to fit department quotas
   * and the capacity, and leaves in {@code used} each department's total. Returns the GPUs left.
   */
  private double deserved(double capacity, Claim[] claims, double[] departmentQuota, double[] result) {
    int n = claims.length;
    int departments = departmentQuota.length;
    Arrays.fill(used, 0, departments, 0);
    for (int i = 0; i < n; i++) {
      Claim claim = claims[i];
      double base = Math.min(claim.deserved(), claim.cap());
      result[i] = base;
      if (claim.department() >= 0) {
        used[claim.department()] += base;
      }
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
      int k = claims[i].department();
      if (k >= 0 && used[k] > departmentQuota[k]) {
        result[i] *= departmentQuota[k] / used[k];
      }
      total += result[i];
    }
    if (total > capacity) {
      double scale = capacity / total;
      for (int i = 0; i < n; i++) {
        result[i] *= scale;
      }
    }
    // Totals again after scaling, so rooms and the rest are measured on the values handed out.
    Arrays.fill(used, 0, departments, 0);
    total = 0;
    for (int i = 0; i < n; i++) {
      int k = claims[i].department();
      if (k >= 0) {
        used[k] += result[i];
      }
      total += result[i];
    }
    return capacity - total;
  }

  /**
   * Phase 2: pours {@code rest} GPUs into the claims still rising. A claim i rises by w_i GPUs per
   * unit of level; it stops at level want_i/w_i, or at its department's stop level, whichever
   * comes first; the pool stops at the level where the GPUs run out.
   */
  private void overQuota(
      double rest, Claim[] claims, int n, double[] departmentQuota, int departments, double[] result) {
    for (int k = 0; k < departments; k++) {
      room[k] = Math.max(0, departmentQuota[k] - used[k]);
      filled[k] = 0;
      weightBehind[k] = 0;
      stopLevel[k] = Double.POSITIVE_INFINITY;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
      Claim claim = claims[i];
      double weight = claim.overQuotaWeight();
      int k = claim.department();
      if (!claim.overQuotaAllowed() || !(weight > 0) || (k >= 0 && !(room[k] > 0))) {
        continue;
      }
      double more = claim.cap() - result[i];
      if (more > 0) {
        order[m] = i;
        level[m] = more / weight;
        m++;
      }
    }
    if (m == 0) {
      return;
    }

    // Each department's stop level: walk its claims by their own stop level; the department
    // fills up between two of them. weightFromHere[j]: weight of the department's claims at
    // positions j onwards (summed backwards, so no subtraction drifts).
    sortByLevel(m);
    for (int j = m - 1; j >= 0; j--) {
      Claim claim = claims[order[j]];
      int k = claim.department();
      if (k >= 0) {
        weightBehind[k] += claim.overQuotaWeight();
        weightFromHere[j] = weightBehind[k];
      }
    }
    for (int j = 0; j < m; j++) {
      int i = order[j];
      int k = claims[i].department();
      if (k < 0 || stopLevel[k] != Double.POSITIVE_INFINITY) {
        continue;
      }
      if (filled[k] + level[j] * weightFromHere[j] >= room[k]) {
        stopLevel[k] = Math.max(0, room[k] - filled[k]) / weightFromHere[j];
      } else {
        filled[k] += claims[i].cap() - result[i];
      }
    }
    for (int j = 0; j < m; j++) {
      int k = claims[order[j]].department();
      if (k >= 0 && stopLevel[k] < level[j]) {
        level[j] = stopLevel[k];
      }
    }

    // The pool's level: walk all claims by where they stop; the GPUs run out between two of them.
    // Lowering the departments' claims left the order nearly sorted, which the sort exploits.
    sortByLevel(m);
    double weight = 0;
    for (int j = m - 1; j >= 0; j--) {
      weight += claims[order[j]].overQuotaWeight();
      weightFromHere[j] = weight;
    }
    double poured = 0;
    double top = Double.POSITIVE_INFINITY;
    for (int j = 0; j < m; j++) {
      if (poured + level[j] * weightFromHere[j] >= rest) {
        top = Math.max(0, rest - poured) / weightFromHere[j];
        break;
      }
      poured += level[j] * claims[order[j]].overQuotaWeight();
    }
    for (int j = 0; j < m; j++) {
      int i = order[j];
      Claim claim = claims[i];
      double more = Math.min(level[j], top) * claim.overQuotaWeight();
      result[i] = Math.min(claim.cap(), result[i] + more);
    }
  }

  private void grow(int claims, int departments) {
    if (order.length < claims) {
      order = new int[claims];
      level = new double[claims];
      weightFromHere = new double[claims];
      orderAside = new int[claims];
      levelAside = new double[claims];
    }
    if (used.length < departments) {
      used = new double[departments];
      room = new double[departments];
      filled = new double[departments];
      weightBehind = new double[departments];
      stopLevel = new double[departments];
    }
  }

  /**
   * Sorts positions {@code [0, m)} of {@code level} and {@code order} together by level. Stable,
   * so ties keep their order and the result is deterministic. Insertion sort on short runs, then
   * bottom-up merges that skip runs already in order: n log n at worst, about n when nearly sorted.
   */
  private void sortByLevel(int m) {
    for (int lo = 0; lo < m; lo += RUN) {
      int hi = Math.min(lo + RUN, m);
      for (int j = lo + 1; j < hi; j++) {
        double key = level[j];
        int item = order[j];
        int at = j;
        while (at > lo && level[at - 1] > key) {
          level[at] = level[at - 1];
          order[at] = order[at - 1];
          at--;
        }
        level[at] = key;
        order[at] = item;
      }
    }
    for (int width = RUN; width < m; width *= 2) {
      for (int lo = 0; lo + width < m; lo += 2 * width) {
        int mid = lo + width;
        if (level[mid - 1] > level[mid]) {
          merge(lo, mid, Math.min(lo + 2 * width, m));
        }
      }
    }
  }

  /** Merges the sorted runs [lo, mid) and [mid, hi): the left one is set aside, the right stays. */
  private void merge(int lo, int mid, int hi) {
    int left = mid - lo;
    System.arraycopy(level, lo, levelAside, 0, left);
    System.arraycopy(order, lo, orderAside, 0, left);
    int a = 0;
    int b = mid;
    int out = lo;
    while (a < left && b < hi) {
      if (level[b] < levelAside[a]) {
        level[out] = level[b];
        order[out++] = order[b++];
      } else {
        level[out] = levelAside[a];
        order[out++] = orderAside[a++];
      }
    }
    while (a < left) {
      level[out] = levelAside[a];
      order[out++] = orderAside[a++];
    }
  }
}
