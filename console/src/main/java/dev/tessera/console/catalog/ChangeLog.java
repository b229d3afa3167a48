package dev.tessera.console.catalog;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The last changes, so a watch can resume from the version its list answered with. Bounded: a
 * version older than what it keeps is "expired", and the client lists again (HTTP 410, as the API
 * server answers a watch from a compacted resourceVersion). Not thread-safe: the catalog's thread
 * owns it.
 */
final class ChangeLog {
  private final int capacity;
  private final ArrayDeque<Change> changes = new ArrayDeque<>();
  /** Versions up to this one have been dropped. */
  private long dropped;

  ChangeLog(int capacity) {
    this.capacity = capacity;
  }

  void add(Change change) {
    if (changes.size() == capacity) {
      dropped = changes.removeFirst().version();
    }
    changes.addLast(change);
  }

  /** The changes after {@code version}, oldest first; empty when it is too old to resume from. */
  Optional<List<Change>> after(long version) {
    if (version < dropped) {
      return Optional.empty();
    }
    List<Change> out = new ArrayList<>();
    for (Change change : changes) {
      if (change.version() > version) {
        out.add(change);
      }
    }
    return Optional.of(out);
  }
}
