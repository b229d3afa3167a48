package dev.tessera.console.history;

import java.time.Instant;
import java.util.Objects;

/**
 * A workload that was deleted, as the table last showed it, kept for the Deleted view until the
 * retention passes.
 *
 * @param uid the workload's uid
 * @param namespace its namespace
 * @param kind its kind
 * @param name its name
 * @param deletedAt when it went
 * @param rowJson its last table row, as the API serves it (JSON); the store does not read it
 */
public record DeletedWorkload(String uid, String namespace, String kind, String name, Instant deletedAt,
    String rowJson) {
  public DeletedWorkload {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(deletedAt, "deletedAt");
    Objects.requireNonNull(rowJson, "rowJson");
  }
}
