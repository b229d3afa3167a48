package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The lending decision on one GPU, tick by tick, from what each tenant used. */
class SharePlanTest {
  private static final SharePlan.Settings SETTINGS = SharePlan.Settings.DEFAULT; // lend after 4 quiet ticks
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TICK = Duration.ofMillis(250);

  /** Tenants of one GPU carried from tick to tick, as the scheduler carries them. */
  private static final class Gpu {
    final List<String> names = new ArrayList<>();
    final List<Integer> shares = new ArrayList<>();
    final List<SharePlan.Memory> memory = new ArrayList<>();
    Instant now = T0;
    SharePlan.Gpu last;

    Gpu tenant(String name, int share) {
      names.add(name);
      shares.add(share);
      memory.add(SharePlan.Memory.fresh(share, now));
      return this;
    }

    /** One tick in which tenant i used {@code used[i]} percent (negative: held, at its share). */
    SharePlan.Gpu tick(double... used) {
      return tick(new boolean[used.length], used);
    }

    SharePlan.Gpu tick(boolean[] arrived, double... used) {
      now = now.plus(TICK);
      List<SharePlan.Tenant> tenants = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        boolean held = used[i] < 0;
        tenants.add(new SharePlan.Tenant(new ComputeTenant.Key("uid-" + names.get(i), "main", 0), shares.get(i),
            held ? memory.get(i).effectivePercent() : used[i], held, arrived[i], memory.get(i)));
      }
      last = SharePlan.plan(tenants, SETTINGS, now);
      for (int i = 0; i < names.size(); i++) {
        memory.set(i, last.decisions().get(i).next());
      }
      return last;
    }

    int effective(int i) {
      return last.decisions().get(i).effectivePercent();
    }
  }

  @Test
  void aShortPauseLendsNothingALongerOneLendsAllButTheHeadroom() {
    Gpu gpu = new Gpu().tenant("busy", 30).tenant("owner", 70);
    for (int tick = 1; tick < SETTINGS.lendAfterTicks(); tick++) {
      gpu.tick(-1, 0);
      assertEquals(30, gpu.effective(0), "tick " + tick + ": the owner may just be between two steps");
    }
    SharePlan.Gpu plan = gpu.tick(-1, 0);

    assertEquals(60, plan.decisions().get(1).lentPercent(), "70 less the 10 points of headroom it keeps");
    assertEquals(90, gpu.effective(0));
    assertTrue(plan.decisions().get(0).startedBorrowing());
    assertEquals(70, gpu.effective(1), "a lender keeps its own share in force: the library never goes below it");
    assertEquals(60, plan.lentPercent());
    assertEquals(60, plan.idlePercent());
    assertEquals(100, plan.guaranteedPercent());
  }

  @Test
  void whatNobodyIsGuaranteedIsLentAtOnce() {
    Gpu gpu = new Gpu().tenant("a", 30).tenant("b", 30);
    gpu.tick(-1, -1); // first tick: both held at their share

    assertEquals(50, gpu.effective(0));
    assertEquals(50, gpu.effective(1), "40 unowned points, shared by weight");
    assertEquals(0, gpu.last.decisions().get(0).lentPercent());
  }

  @Test
  void thePoolGoesByWeightAndNobodyGetsMoreThanItNeeds() {
    Gpu gpu = new Gpu().tenant("small", 20).tenant("large", 40).tenant("idle", 40);
    for (int tick = 0; tick < SETTINGS.lendAfterTicks(); tick++) {
      gpu.tick(-1, -1, 0);
    }
    assertEquals(20 + 10, gpu.effective(0), "30 lent points, one third to the 20% tenant");
    assertEquals(40 + 20, gpu.effective(1), "two thirds to the 40% one");

    gpu.tick(5, -1, 0); // the small one now needs only 5 + 10: within its own share
    assertEquals(20, gpu.effective(0));
    assertEquals(70, gpu.effective(1), "what the small one does not need goes to the other");
  }

  @Test
  void anOwnerThatRisesTakesEverythingBackAtOnceAndLendsAgainOnlyAfterAQuietSpell() {
    Gpu gpu = new Gpu().tenant("borrower", 30).tenant("owner", 70);
    for (int tick = 0; tick < SETTINGS.lendAfterTicks(); tick++) {
      gpu.tick(-1, 2);
    }
    assertEquals(88, gpu.effective(0), "70 - (2 + 10) = 58 lent");
    Instant calm = gpu.now;

    gpu.tick(-1, 5); // a little busier: the loan shrinks, nothing is reclaimed yet
    assertEquals(85, gpu.effective(0));
    assertNull(gpu.last.decisions().get(0).reclaim());

    SharePlan.Gpu back = gpu.tick(-1, 12); // it used the 10 points it kept: it wants its share
    SharePlan.Decision borrower = back.decisions().get(0);
    assertEquals(30, borrower.effectivePercent());
    assertEquals(SharePlan.Reclaim.OWNER_BUSY, borrower.reclaim());
    assertEquals(calm, borrower.reclaimedSince(), "the last tick the owner's use was not rising (5 was, by 3)");
    assertEquals(List.of("uid-owner"), back.ownersBack().stream().map(t -> t.key().podUid()).toList());

    for (int tick = 1; tick < SETTINGS.lendAfterTicks(); tick++) {
      gpu.tick(-1, 12);
      assertEquals(30, gpu.effective(0), "quiet again for " + tick + " tick(s): not yet");
    }
    gpu.tick(-1, 12);
    assertEquals(30 + 70 - 22, gpu.effective(0));
  }

  @Test
  void anOwnerHeldBackTakesItsShareBack() {
    Gpu gpu = new Gpu().tenant("borrower", 50).tenant("owner", 50);
    for (int tick = 0; tick < SETTINGS.lendAfterTicks(); tick++) {
      gpu.tick(-1, 0);
    }
    assertEquals(90, gpu.effective(0));

    gpu.tick(-1, -1);

    assertEquals(50, gpu.effective(0));
    assertEquals(SharePlan.Reclaim.OWNER_BUSY, gpu.last.decisions().get(0).reclaim());
  }

  @Test
  void aTenantArrivingTakesItsShareOutOfWhatNobodyOwned() {
    Gpu gpu = new Gpu().tenant("borrower", 50);
    gpu.tick(-1);
    assertEquals(100, gpu.effective(0));

    gpu.tenant("newcomer", 30);
    gpu.tick(new boolean[] {false, true}, -1, Double.NaN);

    assertEquals(70, gpu.effective(0));
    assertEquals(SharePlan.Reclaim.TENANT_ARRIVED, gpu.last.decisions().get(0).reclaim());
    assertEquals(30, gpu.effective(1), "known nothing of yet: its own share, lending nothing");
    assertEquals(0, gpu.last.decisions().get(1).lentPercent());
  }

  @Test
  void aBorrowerThatStopsWantingMoreGivesBackWithoutAReclaim() {
    Gpu gpu = new Gpu().tenant("borrower", 30).tenant("owner", 70);
    for (int tick = 0; tick < SETTINGS.lendAfterTicks(); tick++) {
      gpu.tick(-1, 0);
    }
    gpu.tick(10, 0);

    assertEquals(30, gpu.effective(0), "10 + 10 headroom is within its own 30");
    assertNull(gpu.last.decisions().get(0).reclaim(), "nobody needed it back: not a reclaim");
  }

  @Test
  void sharesNeverGoBelowTheGuaranteeNorPastTheGpu() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      Gpu gpu = new Gpu();
      int left = 100;
      int n = 1 + random.nextInt(5);
      for (int i = 0; i < n && left > 0; i++) {
        int share = 1 + random.nextInt(Math.min(left, 60));
        gpu.tenant("t" + i, share);
        left -= share;
      }
      for (int tick = 0; tick < 30; tick++) {
        double[] used = new double[gpu.names.size()];
        for (int i = 0; i < used.length; i++) {
          used[i] = random.nextInt(4) == 0 ? -1 : random.nextInt(101);
        }
        SharePlan.Gpu plan = gpu.tick(used);
        int total = 0;
        for (int i = 0; i < used.length; i++) {
          int effective = gpu.effective(i);
          assertTrue(effective >= gpu.shares.get(i) && effective <= 100, "round " + round + ": " + plan);
          total += effective - plan.decisions().get(i).lentPercent();
          assertFalse(plan.decisions().get(i).lentPercent() > 0 && effective > gpu.shares.get(i),
              "a lender borrows nothing");
        }
        assertTrue(total <= 100, "what is in force, less what is lent, fits the GPU: " + total + " in " + plan);
      }
    }
  }
}
