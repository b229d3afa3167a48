package dev.tessera.console.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.console.table.WorkloadRow;
import java.util.List;

/**
 * A workload's details beyond its row.
 *
 * @param kind its Kubernetes kind ("Training")
 * @param row its table row
 * @param pods its pods
 * @param connections where it can be reached
 * @param dataSources what it mounts
 * @param spec its spec as written, for copy-and-edit
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadDetails(
    String kind, WorkloadRow row, List<PodRow> pods, List<ConnectionRow> connections,
    List<DataSourceRow> dataSources, Object spec) {
  public WorkloadDetails {
    pods = List.copyOf(pods);
    connections = List.copyOf(connections);
    dataSources = List.copyOf(dataSources);
  }

  /**
   * A connection: what {@code tessera connect} opens.
   *
   * @param name its name
   * @param type how it is exposed: "ClusterIP" or "NodePort"
   * @param access who can reach it: "cluster" (inside the cluster) or "node" (on every node's port)
   * @param port the port the workload serves
   * @param address where to reach it, once its Service exists; null before
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ConnectionRow(String name, String type, String access, Integer port, String address) {}

  /**
   * A data source.
   *
   * @param name its name
   * @param type "pvc" (a PersistentVolumeClaim)
   * @param claimName the claim
   * @param mountPath where it is mounted
   * @param readOnly whether it is mounted read-only
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DataSourceRow(String name, String type, String claimName, String mountPath, Boolean readOnly) {}
}
