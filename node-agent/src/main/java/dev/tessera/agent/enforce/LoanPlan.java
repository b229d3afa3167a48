package dev.tessera.agent.enforce;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Which borrowing processes to kill on one GPU so that tenants waiting for memory within their
 * request get it. Pure: the decision only, from the usage files' figures.
 *
 * <p>Only containers using more than their request are candidates, so memory within a request is
 * never the reason a process dies. The largest borrower goes first and, within it, the process
 * holding the most memory, so as few processes die as possible. Killing a process frees everything
 * it holds, so it counts as freeing all of that.
 */
public final class LoanPlan {
  private static final Comparator<GpuTenant> MOST_BORROWED =
      Comparator.comparingLong(GpuTenant::borrowedBytes).reversed().thenComparing(t -> t.claim().podUid());
  private static final Comparator<TenantProcess> LARGEST =
      Comparator.comparingLong(TenantProcess::usedBytes).reversed().thenComparingInt(TenantProcess::pid);

  private LoanPlan() {}

  /** A tenant whose living processes wait for {@code bytes} within its request. */
  public record Waiting(GpuTenant tenant, long bytes) {
    public Waiting {
      Objects.requireNonNull(tenant, "tenant");
    }
  }

  /** One process to kill, of a tenant above its request. */
  public record Reclaim(GpuTenant borrower, TenantProcess process) {
    public Reclaim {
      Objects.requireNonNull(borrower, "borrower");
      Objects.requireNonNull(process, "process");
    }
  }

  /**
   * The decision for one GPU.
   *
   * @param waiting the tenants whose living processes wait within their requests
   * @param reclaims the processes to kill for them; empty when nobody waits, nobody borrows, or
   *     what is dying already covers the wait
   */
  public record Plan(List<Waiting> waiting, List<Reclaim> reclaims) {
    public Plan {
      waiting = List.copyOf(waiting);
      reclaims = List.copyOf(reclaims);
    }
  }

  /** What the guard knows of a process beyond its slot. */
  public interface Fates {
    /** Killed recently: the driver is still giving its memory back. */
    boolean dying(TenantProcess process);

    /** No longer running (its slot outlives it until the library reaps it): nothing to free. */
    boolean gone(GpuTenant tenant, TenantProcess process);
  }

  /** @param tenants every container on one GPU */
  public static Plan plan(List<GpuTenant> tenants, Fates fates) {
    List<Waiting> waiting = new ArrayList<>();
    long wanted = 0;
    for (GpuTenant t : tenants) {
      long waitingFor = waitingFor(t, fates);
      if (waitingFor > 0) {
        waiting.add(new Waiting(t, waitingFor));
        wanted += waitingFor;
      }
    }
    if (waiting.isEmpty()) {
      return new Plan(List.of(), List.of());
    }
    List<GpuTenant> borrowers = new ArrayList<>();
    long freeing = 0;
    for (GpuTenant t : tenants) {
      for (TenantProcess p : t.processes()) {
        if (fates.dying(p)) {
          freeing += p.usedBytes();
        }
      }
      if (t.borrowedBytes() > 0) {
        borrowers.add(t);
      }
    }
    borrowers.sort(MOST_BORROWED);
    List<Reclaim> plan = new ArrayList<>();
    for (GpuTenant borrower : borrowers) {
      List<TenantProcess> processes = new ArrayList<>(borrower.processes());
      processes.sort(LARGEST);
      for (TenantProcess p : processes) {
        if (freeing >= wanted) {
          return new Plan(waiting, plan);
        }
        if (p.usedBytes() > 0 && !fates.dying(p) && !fates.gone(borrower, p)) {
          plan.add(new Reclaim(borrower, p));
          freeing += p.usedBytes();
        }
      }
    }
    return new Plan(waiting, plan);
  }

  /** What the tenant's living processes wait for within its request; 0 when none does. */
  private static long waitingFor(GpuTenant tenant, Fates fates) {
    if (!tenant.mayWaitForLoan()) {
      return 0;
    }
    long wanted = 0;
    for (TenantProcess p : tenant.processes()) {
      if (p.wantedBytes() > 0 && !fates.gone(tenant, p)) {
        wanted += p.wantedBytes();
      }
    }
    return wanted;
  }
}
