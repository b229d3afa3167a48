package dev.tessera.console.table;

import java.time.Instant;
import java.util.List;

/** Rows for tests: every column set, the ones a test cares about given. */
public final class Rows {
  private Rows() {}

  public static WorkloadRow row(String uid, String name, String project, String status, double gpus,
      Instant createdAt) {
    return new WorkloadRow(uid, name, "ns-" + project, "training", null, null, true, status, null, null, project, "dept",
        "alice", 1, 1, createdAt, null, null, 0, 0, "pytorch:24.08", WorkloadRow.STANDARD, gpus, gpus, null,
        0, 1, 1, 1L << 30, 1L << 30, List.of("default"), "local", List.of("stop", "run", "delete", "copy"));
  }
}
