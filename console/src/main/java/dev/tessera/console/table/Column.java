package dev.tessera.console.table;

import java.time.Instant;
import java.util.Locale;
import java.util.function.Function;

/**
 * A column of the Workloads table: its name in queries ({@code sortBy}, {@code filterBy}, {@code
 * columns}), its header in CSV, what kind of value it holds (which decides the filter operators it
 * takes) and how to read it from a row.
 */
public enum Column {
  NAME("name", "Name", Type.TEXT, WorkloadRow::name),
  NAMESPACE("namespace", "Namespace", Type.TEXT, WorkloadRow::namespace),
  TYPE("type", "Type", Type.TEXT, WorkloadRow::type),
  OWNER_KIND("ownerKind", "Owner kind", Type.TEXT, WorkloadRow::ownerKind),
  OWNER_NAME("ownerName", "Owner name", Type.TEXT, WorkloadRow::ownerName),
  PREEMPTIBLE("preemptible", "Preemptible", Type.BOOLEAN, WorkloadRow::preemptible),
  STATUS("status", "Status", Type.TEXT, WorkloadRow::status),
  STATUS_REASON("statusReason", "Status reason", Type.TEXT, WorkloadRow::statusReason),
  PROJECT("project", "Project", Type.TEXT, WorkloadRow::project),
  DEPARTMENT("department", "Department", Type.TEXT, WorkloadRow::department),
  CREATED_BY("createdBy", "Created by", Type.TEXT, WorkloadRow::createdBy),
  RUNNING_PODS("runningPods", "Running pods", Type.NUMBER, WorkloadRow::runningPods),
  REQUESTED_PODS("requestedPods", "Requested pods", Type.NUMBER, WorkloadRow::requestedPods),
  CREATED_AT("createdAt", "Creation time", Type.TIME, WorkloadRow::createdAt),
  COMPLETED_AT("completedAt", "Completion time", Type.TIME, WorkloadRow::completedAt),
  DELETED_AT("deletedAt", "Deletion time", Type.TIME, WorkloadRow::deletedAt),
  CONNECTIONS("connections", "Connections", Type.NUMBER, WorkloadRow::connections),
  DATA_SOURCES("dataSources", "Data sources", Type.NUMBER, WorkloadRow::dataSources),
  IMAGE("image", "Environment", Type.TEXT, WorkloadRow::image),
  ARCHITECTURE("architecture", "Architecture", Type.TEXT, WorkloadRow::architecture),
  GPU_COMPUTE_REQUEST("gpuComputeRequest", "GPU compute request", Type.NUMBER, WorkloadRow::gpuComputeRequest),
  GPU_COMPUTE_ALLOCATION(
      "gpuComputeAllocation", "GPU compute allocation", Type.NUMBER, WorkloadRow::gpuComputeAllocation),
  GPU_MEMORY_REQUEST("gpuMemoryRequest", "GPU memory request", Type.NUMBER, WorkloadRow::gpuMemoryRequest),
  GPU_MEMORY_ALLOCATION(
      "gpuMemoryAllocation", "GPU memory allocation", Type.NUMBER, WorkloadRow::gpuMemoryAllocation),
  CPU_COMPUTE_REQUEST("cpuComputeRequest", "CPU compute request", Type.NUMBER, WorkloadRow::cpuComputeRequest),
  CPU_COMPUTE_ALLOCATION(
      "cpuComputeAllocation", "CPU compute allocation", Type.NUMBER, WorkloadRow::cpuComputeAllocation),
  CPU_MEMORY_REQUEST("cpuMemoryRequest", "CPU memory request", Type.NUMBER, WorkloadRow::cpuMemoryRequest),
  CPU_MEMORY_ALLOCATION(
      "cpuMemoryAllocation", "CPU memory allocation", Type.NUMBER, WorkloadRow::cpuMemoryAllocation),
  NODE_POOLS("nodePools", "Node pools", Type.TEXT, row -> String.join(",", row.nodePools())),
  CLUSTER("cluster", "Cluster", Type.TEXT, WorkloadRow::cluster);

  /** What a column holds, which decides how it compares and which operators it takes. */
  public enum Type {
    TEXT,
    NUMBER,
    TIME,
    BOOLEAN
  }

  private final String key;
  private final String header;
  private final Type type;
  private final Function<WorkloadRow, Object> reader;

  Column(String key, String header, Type type, Function<WorkloadRow, Object> reader) {
    this.key = key;
    this.header = header;
    this.type = type;
    this.reader = reader;
  }

  /** The name queries use: "gpuComputeRequest". */
  public String key() {
    return key;
  }

  /** The CSV header: "GPU compute request". */
  public String header() {
    return header;
  }

  public Type type() {
    return type;
  }

  /**
   * The row's value, normalised for comparing: a String, a Double for numbers, a Long (epoch
   * milliseconds) for times, a Boolean; null when the row has none.
   */
  public Object comparable(WorkloadRow row) {
    Object value = reader.apply(row);
    if (value == null) {
      return null;
    }
    return switch (type) {
      case NUMBER -> ((Number) value).doubleValue();
      case TIME -> ((Instant) value).toEpochMilli();
      default -> value;
    };
  }

  /** The row's value as CSV and the search show it: times in RFC 3339, empty for none. */
  public String text(WorkloadRow row) {
    Object value = reader.apply(row);
    if (value == null) {
      return "";
    }
    if (value instanceof Double d) {
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : d.toString();
    }
    return value.toString();
  }

  /** The column a query names, or an {@link IllegalArgumentException} that lists the names there are. */
  public static Column named(String key) {
    for (Column column : values()) {
      if (column.key.equals(key) || column.key.toLowerCase(Locale.ROOT).equals(key.toLowerCase(Locale.ROOT))) {
        return column;
      }
    }
    throw new IllegalArgumentException("no column \"" + key + "\"; the columns are " + keys());
  }

  /** Every column's name, comma-separated, for error messages and the API's description. */
  public static String keys() {
    StringBuilder out = new StringBuilder();
    for (Column column : values()) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(column.key);
    }
    return out.toString();
  }
}
