package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.testing.Nodes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How filter's rules combine, and the pure rules on their own. */
class NodeRulesTest {
  private final NodeState a = Nodes.node("a").gpus(2).pool("fast").empty();
  private final NodeState b = Nodes.node("b").gpus(2).pool("slow").empty();

  private static NodeRule.Candidate candidate(GpuRequest request, List<String> pools) {
    return new NodeRule.Candidate(new PodKey("ns", "p", "u"), 0, request,
        new PodTraits(null, pools, null, true, false), null, null, new FailureMemo().forRequest(request));
  }

  private static NodeRule refusing(String node, String reason, boolean unresolvable) {
    return pod -> n -> n.name().equals(node) ? new Refusal(reason, unresolvable) : null;
  }

  @Test
  void aNodeEveryRulePassesPasses() {
    NodeRules rules = new NodeRules(List.of(refusing("b", "busy", false), refusing("b", "no", true)));
    assertNull(rules.forPod(candidate(GpuRequest.whole(1), List.of())).check(a));
  }

  @Test
  void anUnresolvableRefusalWinsOverAnEarlierResolvableOne() {
    NodeRules rules = new NodeRules(List.of(refusing("a", "busy", false), refusing("a", "wrong pool", true)));
    Refusal verdict = rules.forPod(candidate(GpuRequest.whole(1), List.of())).check(a);
    assertEquals(new Refusal("wrong pool", true), verdict, "preemption on a must not be tried for this pod");
  }

  @Test
  void otherwiseTheFirstRefusalInRuleOrderIsTheReason() {
    NodeRules rules = new NodeRules(List.of(refusing("a", "held for a gang", false), refusing("a", "busy", false)));
    assertEquals(new Refusal("held for a gang", false), rules.forPod(candidate(GpuRequest.whole(1), List.of())).check(a));
  }

  @Test
  void aRuleWithNothingToSayAboutThePodIsNotAskedPerNode() {
    List<String> asked = new ArrayList<>();
    NodeRule silent = pod -> null;
    NodeRule counting = pod -> node -> {
      asked.add(node.name());
      return null;
    };
    NodeRules.Checks checks = new NodeRules(List.of(silent, counting)).forPod(candidate(GpuRequest.whole(1), List.of()));
    checks.check(a);
    checks.check(b);
    assertEquals(List.of("a", "b"), asked);
  }

  @Test
  void gpuFitSaysBusyAsResolvableAndTooSmallAsUnresolvable() {
    GpuFitRule fit = new GpuFitRule(new Placement(PlacementStrategy.BINPACK));
    NodeState full = a.with(new Allocation(new PodKey("ns", "x", "x"),
        new Placement(PlacementStrategy.BINPACK).pick(a, GpuRequest.whole(2)), false));
    Refusal busy = fit.forPod(candidate(GpuRequest.whole(1), List.of())).check(full);
    assertFalse(busy.unresolvable(), busy.reason());
    Refusal tooSmall = fit.forPod(candidate(GpuRequest.whole(4), List.of())).check(a);
    assertTrue(tooSmall.unresolvable(), tooSmall.reason());
    assertNull(fit.forPod(candidate(GpuRequest.whole(2), List.of())).check(a));
  }

  @Test
  void poolRuleKeepsThePodToItsPoolsAndSaysNothingForAPodWithoutPoolsOrProject() {
    PoolQuotaRule pools = new PoolQuotaRule();
    assertNull(pools.forPod(candidate(GpuRequest.whole(1), List.of())), "nothing to check per node");
    NodeRule.NodeCheck check = pools.forPod(candidate(GpuRequest.whole(1), List.of("fast")));
    assertNull(check.check(a));
    Refusal wrongPool = check.check(b);
    assertEquals(new Refusal("node is in pool slow; the pod may use pools fast", true, ReasonClass.NODE_POOL), wrongPool);
    assertEquals(wrongPool, check.check(Nodes.node("c").gpus(1).pool("slow").empty()), "decided once per pool");
  }
}
