package dev.tessera.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A page of the Workloads API's table ({@code GET /api/v1/workloads}) as text. */
final class WorkloadsTable {
  private WorkloadsTable() {}

  private static final String[] HEADER = {"PROJECT", "NAME", "TYPE", "STATUS", "PODS", "GPU", "CREATED BY"};
  private static final long MIB = 1L << 20;

  static String render(JsonNode list) {
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    for (JsonNode row : list.path("items")) {
      rows.add(new String[] {
        row.path("project").asText("-"),
        row.path("name").asText(),
        row.path("type").asText(),
        row.path("status").asText(),
        row.path("runningPods").asInt() + "/" + row.path("requestedPods").asInt(),
        gpus(row),
        row.path("createdBy").asText("-")
      });
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder text = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < row.length; i++) {
        line.append(String.format(Locale.ROOT, "%-" + widths[i] + "s", row[i])).append(i < row.length - 1 ? "  " : "");
      }
      text.append(line.toString().stripTrailing()).append('\n');
    }
    return text.toString();
  }

  /** What it holds: GPUs (fractions included), or GPU memory where it asked for memory. */
  private static String gpus(JsonNode row) {
    if (row.hasNonNull("gpuMemoryRequest")) {
      return row.path("gpuMemoryAllocation").asLong() / MIB + " MiB";
    }
    return String.format(Locale.ROOT, "%.2f", row.path("gpuComputeAllocation").asDouble());
  }
}
