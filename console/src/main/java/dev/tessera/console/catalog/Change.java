package dev.tessera.console.catalog;

import dev.tessera.console.table.WorkloadRow;

/**
 * A row that came, changed or went, as a watch stream sends it.
 *
 * @param version the catalog's version after the change: a watch resumes after it
 * @param type "ADDED", "MODIFIED" or "DELETED", as a Kubernetes watch names them
 * @param row the row after the change (before it, for DELETED, with {@code deletedAt} set)
 */
public record Change(long version, String type, WorkloadRow row) {
  public static final String ADDED = "ADDED";
  public static final String MODIFIED = "MODIFIED";
  public static final String DELETED = "DELETED";
}
