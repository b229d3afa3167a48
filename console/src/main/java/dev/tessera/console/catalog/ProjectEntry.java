package dev.tessera.console.catalog;

import java.util.List;
import java.util.Objects;

/**
 * One project as a new workload's form needs it.
 *
 * @param name the Project's name
 * @param namespaces its namespaces, in its spec's order
 * @param department its department's name, or null
 * @param nodePools the node pools a workload of the project can name: those its quotas name that
 *     exist, in its spec's order; every pool of the cluster when it names none that exists
 */
public record ProjectEntry(String name, List<String> namespaces, String department, List<String> nodePools) {
  public ProjectEntry {
    Objects.requireNonNull(name, "name");
    namespaces = List.copyOf(namespaces);
    nodePools = List.copyOf(nodePools);
  }
}
