package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.model.Department;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.model.PoolQuota;
import dev.tessera.extender.model.Project;
import dev.tessera.extender.testing.Nodes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Admission by quota, on figures {@link PolicyAccounting} derives from a real ledger. */
class QuotaAdmissionTest {
  private final Placement placement = new Placement(PlacementStrategy.BINPACK);

  private static Project project(String name, String department, double deserved, double limit, boolean overQuota) {
    return new Project(name, List.of(name), department,
        Map.of("default", new PoolQuota(deserved, overQuota ? 1 : 0, limit)), 0, overQuota);
  }

  /** One 8-GPU node; each namespace holds the given whole GPUs. */
  private PolicySnapshot figures(Policy policy, Map<String, Integer> held, List<PolicyAccounting.PendingDemand> pending) {
    NodeState node = Nodes.node("n1").gpus(8).empty();
    int pod = 0;
    for (Map.Entry<String, Integer> e : held.entrySet()) {
      for (int i = 0; i < e.getValue(); i++) {
        var assignment = placement.pick(node, GpuRequest.whole(1));
        node = node.with(new Allocation(new PodKey(e.getKey(), "p" + pod, "u" + pod++), assignment, false));
      }
    }
    return PolicyAccounting.compute(policy, ClusterSnapshot.of(List.of(node), 1), pending);
  }

  @Test
  void aProjectMayNotPassItsLimit() {
    Project a = project("a", null, 2, 3, true);
    PolicySnapshot policy = figures(new Policy(List.of(), Map.of("a", a), Map.of(), Map.of()), Map.of("a", 3), List.of());
    assertEquals("project a would exceed its limit of 3 GPUs in pool default (it holds 3, the pod asks for 1)",
        QuotaAdmission.refusal(a, "default", policy, 1));
  }

  @Test
  void withOverQuotaOffAProjectStopsAtDeserved() {
    Project a = project("a", null, 2, PoolQuota.UNLIMITED, false);
    PolicySnapshot policy = figures(new Policy(List.of(), Map.of("a", a), Map.of(), Map.of()), Map.of("a", 2), List.of());
    assertEquals("project a would exceed its deserved 2 GPUs in pool default (it holds 2) and its over-quota use is off",
        QuotaAdmission.refusal(a, "default", policy, 1));
  }

  @Test
  void aDepartmentCapsItsProjectsTogether() {
    Project a = project("a", "research", 2, PoolQuota.UNLIMITED, true);
    Project b = project("b", "research", 2, PoolQuota.UNLIMITED, true);
    Project c = project("c", null, 0, PoolQuota.UNLIMITED, true);
    Policy policy = new Policy(List.of(), Map.of("a", a, "b", b, "c", c),
        Map.of("research", new Department("research", Map.of("default", 4.0))), Map.of());
    PolicySnapshot snapshot = figures(policy, Map.of("a", 3, "b", 1), List.of());
    assertEquals("department research of project b would exceed its quota in pool default (0 GPUs left, the pod asks for 1)",
        QuotaAdmission.refusal(b, "default", snapshot, 1));
    assertNull(QuotaAdmission.refusal(c, "default", snapshot, 1), "c is in no department");
  }

  @Test
  void aboveFairShareOnlyIdleGpusMayBeTaken() {
    // 8 GPUs; a deserves 4 and holds 4; b deserves 4, holds 2 and waits for 2 more: the 2 free GPUs
    // are b's to take, not a's.
    Project a = project("a", null, 4, PoolQuota.UNLIMITED, true);
    Project b = project("b", null, 4, PoolQuota.UNLIMITED, true);
    Policy policy = new Policy(List.of(), Map.of("a", a, "b", b), Map.of(), Map.of());
    PolicySnapshot waiting = figures(policy, Map.of("a", 4, "b", 2),
        List.of(new PolicyAccounting.PendingDemand("b", "default", 2), new PolicyAccounting.PendingDemand("a", "default", 1)));
    assertEquals(0, waiting.idleGpus("default"));
    assertTrue(QuotaAdmission.refusal(a, "default", waiting, 1).startsWith("project a would go above its fair share of 4 GPUs"));
    assertNull(QuotaAdmission.refusal(b, "default", waiting, 1));

    // Once b wants nothing more, a's fair share grows to 5 (4 deserved + 1 of the 2 free it wants):
    // its own wait is within it, the other free GPU is idle. It may borrow, marked over quota.
    PolicySnapshot idle = figures(policy, Map.of("a", 4, "b", 2), List.of(new PolicyAccounting.PendingDemand("a", "default", 1)));
    assertEquals(5, idle.figures("a", "default").fairShare(), 1e-9);
    assertEquals(1, idle.idleGpus("default"), 1e-9);
    assertNull(QuotaAdmission.refusal(a, "default", idle, 1));
    assertTrue(QuotaAdmission.overQuota(idle.figures("a", "default"), 1));
    assertFalse(QuotaAdmission.overQuota(idle.figures("b", "default"), 1));
  }
}
