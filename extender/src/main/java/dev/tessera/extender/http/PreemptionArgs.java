package dev.tessera.extender.http;

import dev.tessera.extender.verbs.WirePod;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What Tessera uses of kube-scheduler's {@code ExtenderPreemptionArgs}, whichever form the victims
 * came in ({@code NodeNameToMetaVictims} with UIDs, or {@code NodeNameToVictims} with whole pods).
 *
 * @param victimUidsByNode candidate victims' UIDs per node, in the order sent
 * @param pdbViolationsByNode kube-scheduler's {@code NumPDBViolations} per node, echoed in the
 *     answer: the extender cannot recount PodDisruptionBudget violations for a subset
 */
public record PreemptionArgs(
    WirePod pod,
    Map<String, List<String>> victimUidsByNode,
    Map<String, Long> pdbViolationsByNode) {
  public PreemptionArgs {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(victimUidsByNode, "victimUidsByNode");
    Objects.requireNonNull(pdbViolationsByNode, "pdbViolationsByNode");
  }
}
