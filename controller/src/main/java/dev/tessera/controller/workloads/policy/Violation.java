package dev.tessera.controller.workloads.policy;

/**
 * One rule of a workload policy that a workload breaks.
 *
 * @param field the field it concerns, as an API error's cause names it ("spec.gpu.count")
 * @param message the sentence a user can act on: the value, the limit and the policy it comes from
 */
public record Violation(String field, String message) {}
