package dev.tessera.demo;

import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ProjectFigures;
import java.util.Locale;
import java.util.TreeMap;

/** The projects' figures as a plain-text table for the demo. */
final class ProjectTable {
  private ProjectTable() {}

  static String render(PolicySnapshot policy) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "  %-14s %-8s %9s %11s %10s %8s%n",
        "PROJECT", "POOL", "DESERVED", "FAIR SHARE", "ALLOCATED", "PENDING"));
    new TreeMap<>(policy.allFigures()).forEach((project, byPool) ->
        new TreeMap<>(byPool).forEach((pool, f) -> {
          if (f.deserved() + f.allocated() + f.pending() > 0) {
            out.append(row(project, pool, f));
          }
        }));
    return out.toString();
  }

  private static String row(String project, String pool, ProjectFigures f) {
    return String.format(Locale.ROOT, "  %-14s %-8s %9.2f %11.2f %10.2f %8.2f%n",
        project, pool, f.deserved(), f.fairShare(), f.allocated(), f.pending());
  }
}
