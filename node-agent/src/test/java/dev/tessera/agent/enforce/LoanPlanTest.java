package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoanPlanTest {
  private static final long GIB = 1L << 30;

  @Test
  void nobodyWaitingMeansNobodyDies() {
    GpuTenant borrower = tenant("b", 2 * GIB, 8 * GIB, 0, process(10, 6 * GIB));

    assertTrue(LoanPlan.plan(List.of(borrower), NONE_DYING).reclaims().isEmpty());
  }

  @Test
  void theLargestBorrowersLargestProcessGoesFirstAndNoMoreThanNeeded() {
    GpuTenant waiting = tenant("a", 8 * GIB, 8 * GIB, GIB, process(1, 4 * GIB));
    GpuTenant small = tenant("s", 2 * GIB, 8 * GIB, 0, process(20, 3 * GIB)); // 1 GiB borrowed
    GpuTenant big = tenant("b", 2 * GIB, 16 * GIB, 0, process(30, 2 * GIB), process(31, 6 * GIB)); // 6 borrowed

    LoanPlan.Plan plan = LoanPlan.plan(List.of(waiting, small, big), NONE_DYING);

    assertEquals(1, plan.reclaims().size(), plan.toString());
    assertEquals(31, plan.reclaims().get(0).process().pid());
    assertEquals("b", plan.reclaims().get(0).borrower().claim().pod());
    assertEquals(List.of(new LoanPlan.Waiting(waiting, GIB)), plan.waiting());
  }

  @Test
  void keepsKillingAcrossBorrowersUntilTheWaitIsCovered() {
    GpuTenant waiting = tenant("a", 8 * GIB, 8 * GIB, 5 * GIB, process(1, GIB));
    GpuTenant first = tenant("b", GIB, 8 * GIB, 0, process(30, 4 * GIB));
    GpuTenant second = tenant("c", GIB, 8 * GIB, 0, process(40, 2 * GIB), process(41, GIB));

    List<LoanPlan.Reclaim> plan = LoanPlan.plan(List.of(waiting, first, second), NONE_DYING).reclaims();

    assertEquals(List.of(30, 40), plan.stream().map(r -> r.process().pid()).toList());
  }

  @Test
  void aTenantWithinItsRequestIsNeverTouched() {
    GpuTenant waiting = tenant("a", 8 * GIB, 8 * GIB, 4 * GIB, process(1, GIB));
    GpuTenant withinRequest = tenant("w", 6 * GIB, 12 * GIB, 0, process(50, 6 * GIB));

    assertTrue(LoanPlan.plan(List.of(waiting, withinRequest), NONE_DYING).reclaims().isEmpty());
  }

  @Test
  void aTenantAboveItsRequestIsNotWaitingEvenIfItWants() {
    // The library only waits within the request; a figure above it is a borrower's own refusal.
    GpuTenant overRequest = tenant("a", 2 * GIB, 8 * GIB, GIB, process(1, 3 * GIB));
    GpuTenant borrower = tenant("b", GIB, 8 * GIB, 0, process(30, 4 * GIB));

    assertTrue(LoanPlan.plan(List.of(overRequest, borrower), NONE_DYING).reclaims().isEmpty());
  }

  @Test
  void processesAlreadyDyingCountAsFreeingTheirMemory() {
    GpuTenant waiting = tenant("a", 8 * GIB, 8 * GIB, 2 * GIB, process(1, GIB));
    TenantProcess dying = process(30, 3 * GIB);
    GpuTenant borrower = tenant("b", GIB, 8 * GIB, 0, dying, process(31, 2 * GIB));

    assertTrue(LoanPlan.plan(List.of(waiting, borrower), dying(dying)).reclaims().isEmpty());
  }

  private static final LoanPlan.Fates NONE_DYING = dying();

  @Test
  void processesThatAreGoneAreNeitherKilledNorCountedAsFreeing() {
    GpuTenant waiting = tenant("a", 8 * GIB, 8 * GIB, 2 * GIB, process(1, GIB));
    TenantProcess gone = process(30, 3 * GIB);
    GpuTenant borrower = tenant("b", GIB, 8 * GIB, 0, gone, process(31, 2 * GIB));
    LoanPlan.Fates fates = new LoanPlan.Fates() {
      @Override
      public boolean dying(TenantProcess process) {
        return false;
      }

      @Override
      public boolean gone(GpuTenant tenant, TenantProcess process) {
        return process.equals(gone);
      }
    };

    assertEquals(List.of(31), LoanPlan.plan(List.of(waiting, borrower), fates).reclaims().stream().map(r -> r.process().pid()).toList());
  }

  private static LoanPlan.Fates dying(TenantProcess... processes) {
    Set<TenantProcess> dying = Set.of(processes);
    return new LoanPlan.Fates() {
      @Override
      public boolean dying(TenantProcess process) {
        return dying.contains(process);
      }

      @Override
      public boolean gone(GpuTenant tenant, TenantProcess process) {
        return false;
      }
    };
  }

  /** A tenant whose first process waits for {@code wanted}. */
  static GpuTenant tenant(String pod, long request, long limit, long wanted, TenantProcess... processes) {
    long used = 0;
    for (TenantProcess p : processes) {
      used += p.usedBytes();
    }
    if (wanted > 0) {
      TenantProcess first = processes[0];
      processes = processes.clone();
      processes[0] = new TenantProcess(first.pid(), first.usedBytes(), first.startTime(), first.pidNamespace(), 0, wanted);
    }
    ClaimRecord claim = new ClaimRecord("team", pod, pod + "-uid", "main", List.of("GPU-1"));
    return new GpuTenant(claim, 0, "GPU-1", request, limit, used, wanted, List.of(processes));
  }

  static TenantProcess process(int pid, long bytes) {
    return new TenantProcess(pid, bytes, 1000 + pid, 4026531836L, 0);
  }
}
