package dev.tessera.controller.workloads.policy;

import dev.tessera.api.workloads.WorkloadKind;

/**
 * Which workloads a policy applies to. Two policies of the same scope cannot be ordered, so
 * validation rejects both.
 *
 * @param kind null for every kind
 * @param project null for a global policy
 */
record Scope(WorkloadKind kind, String project) {
  /**
   * The scopes that apply to a workload, most specific first: project and kind, project, kind,
   * global. A project is more specific than a kind: the project's admin knows the team, so their
   * all-kinds policy still overrides a global rule for one kind.
   */
  static Scope[] precedence(WorkloadKind kind, String project) {
    if (project == null) {
      return new Scope[] {new Scope(kind, null), new Scope(null, null)};
    }
    return new Scope[] {
      new Scope(kind, project), new Scope(null, project), new Scope(kind, null), new Scope(null, null)
    };
  }

  /** "project team-a, kind Training", "global, every kind". */
  String describe() {
    return (project == null ? "global" : "project " + project) + ", "
        + (kind == null ? "every kind" : "kind " + kind.kind());
  }
}
