package dev.tessera.bench;

import dev.tessera.console.history.HistoryEvent.Category;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * A history table of a busy cluster, loaded with COPY: {@code events} entries over 90 days, in time
 * order as they would arrive, one in twenty of them for {@link #BUSY} and the rest spread evenly
 * over the other workloads. The mix of categories, types, reasons and messages is meant to look
 * like a cluster's: mostly scheduling and phase changes, some reclaims and policy refusals, a few
 * GPU out-of-memory kills.
 */
final class HistoryDataset {
  /** The workload the benchmark reads: one entry in twenty is its. */
  static final String BUSY = "uid-w00000";

  static final Instant END = Instant.parse("2024-06-01T00:00:00Z");
  static final Duration SPAN = Duration.ofDays(90);

  private static final int ROWS_PER_WRITE = 10_000;

  private HistoryDataset() {}

  /**
   * Loads the entries into a database migrated by {@code HistoryDatabase}, then analyzes it. The
   * secondary indexes are dropped for the COPY and built again after it, as the migration defined
   * them: several times quicker than keeping them up row by row.
   */
  static void load(DataSource dataSource, int events, int workloads) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      List<String> indexes = new ArrayList<>();
      try (ResultSet rows =
          statement.executeQuery(
              "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                  + " AND tablename = 'history_events' AND indexname NOT IN"
                  + " (SELECT conname FROM pg_constraint WHERE conrelid = 'history_events'::regclass)")) {
        while (rows.next()) {
          statement.addBatch("DROP INDEX " + rows.getString(1));
          indexes.add(rows.getString(2));
        }
      }
      statement.executeBatch();
      copy(connection, events, workloads);
      for (String index : indexes) {
        statement.execute(index);
      }
      statement.execute("VACUUM ANALYZE history_events");
    }
  }

  private static void copy(Connection connection, int events, int workloads) throws SQLException {
    Random random = new Random(42);
    Instant start = END.minus(SPAN);
    long stepNanos = SPAN.toNanos() / events;
    CopyIn copy =
        connection
            .unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(
                "COPY history_events (key, workload_uid, namespace, kind, name, time, category, type, reason,"
                    + " message, pod) FROM STDIN WITH (FORMAT csv)");
    try {
      StringBuilder rows = new StringBuilder(ROWS_PER_WRITE * 200);
      for (int i = 0; i < events; i++) {
        int workload = random.nextInt(20) == 0 ? 0 : 1 + random.nextInt(workloads - 1);
        Instant time = start.plusNanos(stepNanos * i).truncatedTo(ChronoUnit.MICROS);
        appendRow(rows, i, workload, time, random);
        if ((i + 1) % ROWS_PER_WRITE == 0 || i == events - 1) {
          byte[] bytes = rows.toString().getBytes(StandardCharsets.UTF_8);
          copy.writeToCopy(bytes, 0, bytes.length);
          rows.setLength(0);
        }
      }
      copy.endCopy();
    } finally {
      if (copy.isActive()) {
        copy.cancelCopy();
      }
    }
  }

  private static void appendRow(StringBuilder rows, int i, int workload, Instant time, Random random) {
    String uid = String.format("uid-w%05d", workload);
    String namespace = "team-" + (workload % 40);
    String name = "job-" + workload;
    String pod = name + "-worker-" + random.nextInt(8);
    int roll = random.nextInt(100);
    Category category;
    String type = "Normal";
    String reason;
    String message;
    if (roll < 15) {
      category = Category.STATUS;
      reason = new String[] {"Pending", "Running", "Succeeded", "Failed"}[random.nextInt(4)];
      message = "the workload is " + reason;
      pod = "";
    } else if (roll < 65) {
      category = Category.SCHEDULING;
      if (random.nextInt(4) == 0) {
        type = "Warning";
        reason = "Unschedulable";
        message = "0/" + (100 + random.nextInt(400)) + " nodes are available: " + (1 + random.nextInt(8))
            + " Insufficient nvidia.com/gpu";
      } else {
        reason = "Scheduled";
        message = "placed on node gpu-node-" + random.nextInt(500) + ", GPUs " + random.nextInt(8);
      }
    } else if (roll < 75) {
      category = Category.RECLAIM;
      type = "Warning";
      reason = random.nextBoolean() ? "Reclaimed" : "Preempted";
      message = "taken back for project team-" + random.nextInt(40) + ", which is under its quota";
    } else if (roll < 78) {
      category = Category.GPU_OOM;
      type = "Warning";
      reason = "GpuOutOfMemory";
      message = "GPU out of memory: the container asked for " + (8_000 + random.nextInt(40_000))
          + " MiB, over its share of 8000 MiB";
    } else if (roll < 85) {
      category = Category.POLICY;
      type = "Warning";
      reason = "PolicyRefused";
      message = "the project's policy allows at most " + (1 + random.nextInt(16)) + " GPUs per workload";
    } else {
      category = Category.OTHER;
      reason = "Pulled";
      message = "Successfully pulled image \"registry.example.com/train:" + random.nextInt(100) + "\"";
    }
    rows.append("e").append(i).append(',')
        .append(uid).append(',')
        .append(namespace).append(",Training,")
        .append(name).append(',')
        .append(OffsetDateTime.ofInstant(time, ZoneOffset.UTC)).append(',')
        .append(category.name()).append(',')
        .append(type).append(',')
        .append(reason).append(',');
    csv(rows, message).append(',');
    // An empty unquoted field is NULL in CSV: a phase change concerns no pod.
    if (!pod.isEmpty()) {
      rows.append(pod);
    }
    rows.append('\n');
  }

  private static StringBuilder csv(StringBuilder rows, String value) {
    return rows.append('"').append(value.replace("\"", "\"\"")).append('"');
  }
}
