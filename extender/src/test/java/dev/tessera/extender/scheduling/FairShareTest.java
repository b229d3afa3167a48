package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.scheduling.FairShare.Claim;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Worked examples derived by hand, then random pools checked against the invariants and against
 * a slow, literal progressive filling.
 */
class FairShareTest {
  private static final double TOLERANCE = 1e-9;
  private static final double INF = PoolQuota.UNLIMITED;
  private static final double[] NO_DEPARTMENTS = {};

  /** Deserved, weight and demand; over quota allowed, no limit, no department. */
  private static Claim claim(double deserved, double weight, double demand) {
    return new Claim(deserved, weight, INF, true, demand, -1);
  }

  private static Claim inDepartment(int department, double deserved, double weight, double demand) {
    return new Claim(deserved, weight, INF, true, demand, department);
  }

  private static void assertShares(double[] expected, double[] actual) {
    assertArrayEquals(expected, actual, TOLERANCE, () -> "shares " + Arrays.toString(actual));
  }

  // ---------------------------------------------------------------- worked examples

  @Test
  void deservedFirstThenTheRestByWeight() {
    // 12 GPUs. Deserved 4, 4, 0 (all want 10): bases 4, 4, 0; 4 left.
    // Weights 1:2:1 split the 4 as 1, 2, 1 -> 5, 6, 1.
    double[] shares =
        FairShare.compute(12, new Claim[] {claim(4, 1, 10), claim(4, 2, 10), claim(0, 1, 10)}, NO_DEPARTMENTS);
    assertShares(new double[] {5, 6, 1}, shares);
  }

  @Test
  void unusedDeservedGoesToTheOthersByWeight() {
    // 10 GPUs. A deserves 6 but wants 2: base 2. B, C deserve 2 each: bases 2, 2. 4 left.
    // A wants no more, so B:C = 1:3 share the 4 -> B 2+1 = 3, C 2+3 = 5.
    double[] shares =
        FairShare.compute(10, new Claim[] {claim(6, 1, 2), claim(2, 1, 10), claim(2, 3, 10)}, NO_DEPARTMENTS);
    assertShares(new double[] {2, 3, 5}, shares);
  }

  @Test
  void aLimitCapsAProjectAndItsExcessGoesToTheOthers() {
    // 12 GPUs. Bases 2, 2, 0; 8 left. Weights 1:1:2 would give 2, 2, 4,
    // but A's limit 3 leaves it room for 1 only: A = 3, and 1 GPU goes round again.
    // B:C = 1:2 split it: B = 2+2+1/3, C = 0+4+2/3.
    Claim limited = new Claim(2, 1, 3, true, 10, -1);
    double[] shares =
        FairShare.compute(12, new Claim[] {limited, claim(2, 1, 10), claim(0, 2, 10)}, NO_DEPARTMENTS);
    assertShares(new double[] {3, 4 + 1.0 / 3, 4 + 2.0 / 3}, shares);
  }

  @Test
  void aLimitBelowDeservedCapsTheBaseToo() {
    // A limit below deserved (PoolQuota forbids it, Claim does not): base = min(demand, deserved, limit).
    double[] shares =
        FairShare.compute(10, new Claim[] {new Claim(5, 1, 2, true, 10, -1), claim(0, 1, 10)}, NO_DEPARTMENTS);
    assertShares(new double[] {2, 8}, shares);
  }

  @Test
  void withoutOverQuotaAProjectGetsOnlyWhatItDeserves() {
    // 15 GPUs. A deserves 4 and may not go over: 4. C deserves 4 but wants 3, may not go over: 3.
    // B deserves 2 and takes the 6 nobody else may: 8.
    Claim a = new Claim(4, 5, INF, false, 10, -1);
    Claim c = new Claim(4, 5, INF, false, 3, -1);
    double[] shares = FairShare.compute(15, new Claim[] {a, claim(2, 1, 10), c}, NO_DEPARTMENTS);
    assertShares(new double[] {4, 8, 3}, shares);
  }

  @Test
  void weightZeroGetsNoOverQuotaShare() {
    // 12 GPUs. Bases 3, 3; A's weight 0 leaves all 6 over quota to B -> 3, 9.
    double[] shares = FairShare.compute(12, new Claim[] {claim(3, 0, 10), claim(3, 1, 10)}, NO_DEPARTMENTS);
    assertShares(new double[] {3, 9}, shares);
  }

  @Test
  void weightZeroEverywhereLeavesGpusIdle() {
    double[] shares = FairShare.compute(12, new Claim[] {claim(3, 0, 10), claim(3, 0, 10)}, NO_DEPARTMENTS);
    assertShares(new double[] {3, 3}, shares);
  }

  @Test
  void aDepartmentCapsItsProjectsAndAnOutsiderTakesTheRest() {
    // 20 GPUs; A and B in a department capped at 8, C outside; all want 20, weights equal.
    // Bases 3, 3, 2: the department holds 6, room 2; 12 left.
    // A round of 12 by 1:1:1 would give 4 each; A and B may only have 2 together: 1 each.
    // C takes 4, then the 6 nobody else can take -> A 4, B 4, C 12.
    Claim[] claims = {inDepartment(0, 3, 1, 20), inDepartment(0, 3, 1, 20), claim(2, 1, 20)};
    double[] shares = FairShare.compute(20, claims, new double[] {8});
    assertShares(new double[] {4, 4, 12}, shares);
  }

  @Test
  void aDepartmentsRoomIsSharedByWeightAndByWhatEachWants() {
    // 30 GPUs, nothing deserved. Department 0 (quota 6): A weight 1 wants 1, B weight 1, C weight 2.
    // Outside: D weight 2. Pouring evenly per unit of weight: at level 1 A is full (A 1, B 1, C 2 = 4
    // in the department); then B:C = 1:2 share the 2 left -> B 1+2/3, C 2+4/3.
    // D rises alone after that and takes the rest: 30 - 6 = 24.
    Claim[] claims = {
      inDepartment(0, 0, 1, 1), inDepartment(0, 0, 1, 30), inDepartment(0, 0, 2, 30), claim(0, 2, 30)
    };
    double[] shares = FairShare.compute(30, claims, new double[] {6});
    assertShares(new double[] {1, 1 + 2.0 / 3, 2 + 4.0 / 3, 24}, shares);
  }

  @Test
  void aDepartmentQuotaBelowItsProjectsDeservedScalesThemDown() {
    // Department quota 2; A deserves 3, B deserves 3 but wants 1: bases 3, 1 -> scaled by 2/4 to 1.5, 0.5.
    // The department is full, so C (outside, deserves 1) takes the other 8 of 10.
    Claim[] claims = {inDepartment(0, 3, 1, 10), inDepartment(0, 3, 1, 1), claim(1, 1, 10)};
    double[] shares = FairShare.compute(10, claims, new double[] {2});
    assertShares(new double[] {1.5, 0.5, 8}, shares);
  }

  @Test
  void departmentsWithoutAQuotaDoNotCap() {
    Claim[] claims = {inDepartment(0, 0, 1, 10), inDepartment(1, 0, 1, 10)};
    double[] shares = FairShare.compute(8, claims, new double[] {INF, INF});
    assertShares(new double[] {4, 4}, shares);
  }

  @Test
  void oversubscribedDeservedIsScaledInProportion() {
    // 6 GPUs for deserved 4 + 4 + 4: each gets 6 * 4/12 = 2.
    assertShares(
        new double[] {2, 2, 2},
        FairShare.compute(6, new Claim[] {claim(4, 1, 10), claim(4, 1, 10), claim(4, 1, 10)}, NO_DEPARTMENTS));
    // Deserved 6 + 3 + 3 = 12 for 6 GPUs: halved -> 3, 1.5, 1.5.
    assertShares(
        new double[] {3, 1.5, 1.5},
        FairShare.compute(6, new Claim[] {claim(6, 1, 10), claim(3, 1, 10), claim(3, 1, 10)}, NO_DEPARTMENTS));
    // In proportion to the base, not to deserved: bases 2 (wants 2) and 6; 6/8 of each -> 1.5, 4.5.
    assertShares(
        new double[] {1.5, 4.5},
        FairShare.compute(6, new Claim[] {claim(6, 1, 2), claim(6, 1, 10)}, NO_DEPARTMENTS));
  }

  @Test
  void fractionalGpus() {
    // 2.5 GPUs, five projects deserve 0.25 and want 0.5: bases 1.25, 1.25 left, each wants 0.25 more.
    Claim[] halves = new Claim[5];
    Arrays.fill(halves, claim(0.25, 1, 0.5));
    assertShares(new double[] {0.5, 0.5, 0.5, 0.5, 0.5}, FairShare.compute(2.5, halves, NO_DEPARTMENTS));

    // 2.5 GPUs. Bases 0.5 (wants 0.5), 0.5, 0; 1.5 left for B and C, 0.75 each;
    // C wants only 0.5, so B takes the other 0.25 -> 0.5, 1.5, 0.5.
    Claim[] mixed = {claim(0.5, 1, 0.5), claim(0.5, 1, 3), claim(0, 1, 0.5)};
    assertShares(new double[] {0.5, 1.5, 0.5}, FairShare.compute(2.5, mixed, NO_DEPARTMENTS));
  }

  @Test
  void moreGpusThanAnyoneWantsLeavesThemIdle() {
    double[] shares = FairShare.compute(100, new Claim[] {claim(4, 1, 10), claim(0, 3, 7)}, NO_DEPARTMENTS);
    assertShares(new double[] {10, 7}, shares);
  }

  @Test
  void noClaimsAndNoCapacity() {
    assertEquals(0, FairShare.compute(12, new Claim[0], NO_DEPARTMENTS).length);
    assertShares(
        new double[] {0, 0},
        FairShare.compute(0, new Claim[] {claim(4, 1, 10), claim(0, 1, 10)}, NO_DEPARTMENTS));
  }

  @Test
  void anInstanceWritesIntoTheCallersArrayAndReusesItsScratch() {
    FairShare fairShare = new FairShare();
    double[] result = {-1, -1, -1, 42};
    Claim[] three = {claim(4, 1, 10), claim(4, 2, 10), claim(0, 1, 10)};
    assertSame(result, fairShare.compute(12, three, NO_DEPARTMENTS, result));
    assertArrayEquals(new double[] {5, 6, 1, 42}, result, TOLERANCE);

    // Larger, then smaller again: the scratch grows and stale entries do not leak.
    Claim[] many = new Claim[40];
    for (int i = 0; i < many.length; i++) {
      many[i] = inDepartment(i % 3, 1, 1 + i % 4, 5);
    }
    double[] quotas = {30, INF, 10};
    assertArrayEquals(
        FairShare.compute(150, many, quotas), fairShare.compute(150, many, quotas, new double[40]));
    assertArrayEquals(
        new double[] {5, 6, 1}, fairShare.compute(12, three, NO_DEPARTMENTS, new double[3]), TOLERANCE);
  }

  // ---------------------------------------------------------------- validation

  @Test
  void rejectsBadInput() {
    Claim ok = claim(1, 1, 1);
    assertMessage("capacity", () -> FairShare.compute(-1, new Claim[] {ok}, NO_DEPARTMENTS));
    assertMessage("capacity", () -> FairShare.compute(Double.NaN, new Claim[] {ok}, NO_DEPARTMENTS));
    assertMessage("capacity", () -> FairShare.compute(INF, new Claim[] {ok}, NO_DEPARTMENTS));
    assertMessage("demand", () -> new Claim(1, 1, INF, true, -1, -1));
    assertMessage("demand", () -> new Claim(1, 1, INF, true, Double.NaN, -1));
    assertMessage("demand", () -> new Claim(1, 1, INF, true, INF, -1));
    assertMessage("deserved", () -> new Claim(-0.5, 1, INF, true, 1, -1));
    assertMessage("deserved", () -> new Claim(Double.NaN, 1, INF, true, 1, -1));
    assertMessage("weight", () -> new Claim(1, -1, INF, true, 1, -1));
    assertMessage("weight", () -> new Claim(1, Double.NaN, INF, true, 1, -1));
    assertMessage("limit", () -> new Claim(1, 1, Double.NaN, true, 1, -1));
    assertMessage("limit", () -> new Claim(1, 1, -2, true, 1, -1));
    assertMessage("department", () -> new Claim(1, 1, INF, true, 1, -2));
    assertMessage(
        "department 1, but there are only 1",
        () -> FairShare.compute(4, new Claim[] {inDepartment(1, 1, 1, 1)}, new double[] {3}));
    assertMessage(
        "department 0: quota",
        () -> FairShare.compute(4, new Claim[] {inDepartment(0, 1, 1, 1)}, new double[] {-1}));
    assertMessage(
        "department 0: quota",
        () -> FairShare.compute(4, new Claim[] {ok}, new double[] {Double.NaN}));
    assertMessage("claim 1 is null", () -> FairShare.compute(4, new Claim[] {ok, null}, NO_DEPARTMENTS));
    assertMessage(
        "result has room for 1",
        () -> new FairShare().compute(4, new Claim[] {ok, ok}, NO_DEPARTMENTS, new double[1]));
  }

  private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' lacks '" + fragment + "'");
  }

  // ---------------------------------------------------------------- random pools

  /** One random pool: capacity, claims, department quotas. */
  private record Pool(double capacity, Claim[] claims, double[] departmentQuota) {}

  private static Pool randomPool(Random random, int maxClaims, int maxDepartments) {
    int departments = random.nextInt(maxDepartments + 1);
    double[] quotas = new double[departments];
    for (int k = 0; k < departments; k++) {
      quotas[k] = random.nextInt(4) == 0 ? INF : gpus(random, 20);
    }
    Claim[] claims = new Claim[random.nextInt(maxClaims + 1)];
    for (int i = 0; i < claims.length; i++) {
      double deserved = random.nextInt(4) == 0 ? 0 : gpus(random, 10);
      double weight = random.nextInt(5) == 0 ? 0 : gpus(random, 4);
      double limit = random.nextBoolean() ? INF : deserved + gpus(random, 8);
      double demand = random.nextInt(6) == 0 ? 0 : gpus(random, 16);
      int department = departments == 0 ? -1 : random.nextInt(departments + 1) - 1;
      claims[i] = new Claim(deserved, weight, limit, random.nextInt(5) != 0, demand, department);
    }
    int capacity = 4 * claims.length + 4;
    return new Pool(random.nextInt(10) == 0 ? 0 : gpus(random, capacity), claims, quotas);
  }

  /** Whole GPUs mostly, sometimes quarters, sometimes any fraction: ties and odd values both. */
  private static double gpus(Random random, int max) {
    return switch (random.nextInt(3)) {
      case 0 -> random.nextInt(max + 1);
      case 1 -> random.nextInt(4 * max + 1) / 4.0;
      default -> random.nextDouble() * max;
    };
  }

  @Test
  void smallRandomPoolsKeepTheInvariants() {
    Random random = new Random(20_261_124);
    FairShare reused = new FairShare();
    for (int round = 0; round < 5_000; round++) {
      checkRandomPool(randomPool(random, 12, 3), random, reused, "round " + round);
    }
  }

  /** Hundreds of claims: the sort's merges, many departments, long walks. */
  @Test
  void largeRandomPoolsKeepTheInvariants() {
    Random random = new Random(424_242);
    FairShare reused = new FairShare();
    for (int round = 0; round < 200; round++) {
      checkRandomPool(randomPool(random, 300, 20), random, reused, "round " + round);
    }
  }

  private static void checkRandomPool(Pool pool, Random random, FairShare reused, String round) {
    Claim[] claims = pool.claims();
    String context = round + ": " + pool.capacity() + " GPUs, " + Arrays.toString(claims)
        + ", departments " + Arrays.toString(pool.departmentQuota());
    double[] shares = FairShare.compute(pool.capacity(), claims, pool.departmentQuota());

    double total = 0;
    double[] departmentTotal = new double[pool.departmentQuota().length];
    for (int i = 0; i < claims.length; i++) {
      Claim c = claims[i];
      assertTrue(shares[i] >= 0, context);
      assertTrue(shares[i] <= Math.min(c.demand(), c.limit()) + TOLERANCE, context);
      total += shares[i];
      if (c.department() >= 0) {
        departmentTotal[c.department()] += shares[i];
      }
    }
    assertTrue(total <= pool.capacity() + TOLERANCE, context);
    for (int k = 0; k < departmentTotal.length; k++) {
      assertTrue(departmentTotal[k] <= pool.departmentQuota()[k] + TOLERANCE, context);
    }

    // Guarantee: when the bases fit the pool and no department cap binds, each gets its base.
    double[] base = new double[claims.length];
    double baseTotal = 0;
    double[] departmentBase = new double[departmentTotal.length];
    for (int i = 0; i < claims.length; i++) {
      Claim c = claims[i];
      base[i] = Math.min(c.demand(), Math.min(c.deserved(), c.limit()));
      baseTotal += base[i];
      if (c.department() >= 0) {
        departmentBase[c.department()] += base[i];
      }
    }
    boolean capBinds = false;
    for (int k = 0; k < departmentBase.length; k++) {
      capBinds |= departmentBase[k] > pool.departmentQuota()[k];
    }
    if (baseTotal <= pool.capacity() && !capBinds) {
      for (int i = 0; i < claims.length; i++) {
        assertTrue(shares[i] >= base[i] - TOLERANCE, context);
      }
    }

    // Nothing idle that someone could take: GPUs left over mean every claim is blocked.
    if (total < pool.capacity() - 1e-6) {
      for (int i = 0; i < claims.length; i++) {
        Claim c = claims[i];
        int k = c.department();
        boolean blocked =
            shares[i] >= Math.min(c.demand(), c.limit()) - 1e-6
                || !c.overQuotaAllowed()
                || c.overQuotaWeight() == 0
                || (k >= 0 && departmentTotal[k] >= pool.departmentQuota()[k] - 1e-6);
        assertTrue(blocked, context + ": claim " + i + " could use idle GPUs");
      }
    }

    // Matches the slow, literal progressive filling.
    assertArrayEquals(progressiveFilling(pool), shares, 1e-6, context);

    // Monotone: more capacity never lowers a share.
    double more = pool.capacity() + gpus(random, 10);
    double[] richer = FairShare.compute(more, claims, pool.departmentQuota());
    for (int i = 0; i < claims.length; i++) {
      assertTrue(richer[i] >= shares[i] - TOLERANCE, context + " with " + more + " GPUs");
    }

    // Deterministic, and the reused instance agrees with a fresh one.
    assertArrayEquals(
        shares, reused.compute(pool.capacity(), claims, pool.departmentQuota(), new double[claims.length]));

    // The order of the claims does not matter.
    int[] permutation = shuffled(claims.length, random);
    Claim[] permuted = new Claim[claims.length];
    for (int i = 0; i < claims.length; i++) {
      permuted[i] = claims[permutation[i]];
    }
    double[] permutedShares = FairShare.compute(pool.capacity(), permuted, pool.departmentQuota());
    for (int i = 0; i < claims.length; i++) {
      assertEquals(shares[permutation[i]], permutedShares[i], TOLERANCE, context);
    }
  }

  private static int[] shuffled(int n, Random random) {
    int[] permutation = new int[n];
    for (int i = 0; i < n; i++) {
      permutation[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = permutation[i];
      permutation[i] = permutation[j];
      permutation[j] = t;
    }
    return permutation;
  }

  /**
   * The specification run literally, round by round: phase 1 as in {@link FairShare}; then every
   * round raises all active claims by the same amount per unit of weight, as far as the first cap
   * met (the GPUs left, a claim's want, or a department's room), and drops what hit its cap.
   */
  private static double[] progressiveFilling(Pool pool) {
    Claim[] claims = pool.claims();
    double[] quota = pool.departmentQuota();
    int n = claims.length;
    double[] share = new double[n];
    double[] departmentUsed = new double[quota.length];
    for (int i = 0; i < n; i++) {
      share[i] = Math.min(claims[i].demand(), Math.min(claims[i].deserved(), claims[i].limit()));
      if (claims[i].department() >= 0) {
        departmentUsed[claims[i].department()] += share[i];
      }
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
      int k = claims[i].department();
      if (k >= 0 && departmentUsed[k] > quota[k]) {
        share[i] *= quota[k] / departmentUsed[k];
      }
      total += share[i];
    }
    if (total > pool.capacity()) {
      for (int i = 0; i < n; i++) {
        share[i] *= pool.capacity() / total;
      }
    }
    double rest = pool.capacity();
    Arrays.fill(departmentUsed, 0);
    for (int i = 0; i < n; i++) {
      rest -= share[i];
      if (claims[i].department() >= 0) {
        departmentUsed[claims[i].department()] += share[i];
      }
    }
    boolean[] active = new boolean[n];
    for (int i = 0; i < n; i++) {
      Claim c = claims[i];
      active[i] = c.overQuotaAllowed() && c.overQuotaWeight() > 0 && Math.min(c.demand(), c.limit()) > share[i];
    }
    for (int round = 0; round <= n + quota.length + 1 && rest > FairShare.EPSILON; round++) {
      double weight = 0;
      double[] departmentWeight = new double[quota.length];
      for (int i = 0; i < n; i++) {
        if (active[i]) {
          weight += claims[i].overQuotaWeight();
          if (claims[i].department() >= 0) {
            departmentWeight[claims[i].department()] += claims[i].overQuotaWeight();
          }
        }
      }
      if (weight == 0) {
        break;
      }
      double step = rest / weight;
      for (int i = 0; i < n; i++) {
        if (active[i]) {
          Claim c = claims[i];
          step = Math.min(step, (Math.min(c.demand(), c.limit()) - share[i]) / c.overQuotaWeight());
        }
      }
      for (int k = 0; k < quota.length; k++) {
        if (departmentWeight[k] > 0) {
          step = Math.min(step, Math.max(0, quota[k] - departmentUsed[k]) / departmentWeight[k]);
        }
      }
      for (int i = 0; i < n; i++) {
        if (active[i]) {
          double more = step * claims[i].overQuotaWeight();
          share[i] += more;
          rest -= more;
          if (claims[i].department() >= 0) {
            departmentUsed[claims[i].department()] += more;
          }
        }
      }
      for (int i = 0; i < n; i++) {
        Claim c = claims[i];
        int k = c.department();
        if (active[i]
            && (share[i] >= Math.min(c.demand(), c.limit()) - 1e-12
                || (k >= 0 && departmentUsed[k] >= quota[k] - 1e-12))) {
          active[i] = false;
        }
      }
    }
    return share;
  }
}
