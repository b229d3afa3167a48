package dev.tessera.console.history;

import dev.tessera.console.history.HistoryEvent.Category;
import java.time.Instant;

/**
 * Test entries, written as {@code entry("k1").workload("w-2").at(time).category(RECLAIM).build()}:
 * every field has a plain default, so a test names only what it is about.
 */
final class HistoryEvents {
  /** A time with no more precision than PostgreSQL keeps, so entries come back equal. */
  static final Instant T0 = Instant.parse("2024-03-01T12:00:00Z");

  static final String WORKLOAD = "uid-train-1";

  private HistoryEvents() {}

  static Builder entry(String key) {
    return new Builder(key);
  }

  static final class Builder {
    private final String key;
    private String workloadUid = WORKLOAD;
    private String namespace = "team-a";
    private String kind = "Training";
    private String name = "train-1";
    private Instant time = T0;
    private Category category = Category.SCHEDULING;
    private String type = "Normal";
    private String reason = "Scheduled";
    private String message = "placed on node gpu-1";
    private String pod;

    private Builder(String key) {
      this.key = key;
    }

    Builder workload(String uid) {
      this.workloadUid = uid;
      return this;
    }

    Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    Builder name(String name) {
      this.name = name;
      return this;
    }

    Builder at(Instant time) {
      this.time = time;
      return this;
    }

    Builder category(Category category) {
      this.category = category;
      return this;
    }

    Builder type(String type) {
      this.type = type;
      return this;
    }

    Builder reason(String reason) {
      this.reason = reason;
      return this;
    }

    Builder message(String message) {
      this.message = message;
      return this;
    }

    Builder pod(String pod) {
      this.pod = pod;
      return this;
    }

    HistoryEvent build() {
      return new HistoryEvent(key, workloadUid, namespace, kind, name, time, category, type, reason, message, pod);
    }
  }
}
