package dev.tessera.demo;

import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.scheduling.Allocation;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Renders the ledger GPU by GPU: who holds what on which GPU of which node. */
public final class PlacementTable {
  private PlacementTable() {}

  public static String render(ClusterSnapshot snapshot) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NODE", "GPU", "MODEL", "MEMORY", "USED", "TENANTS"});
    List<NodeState> nodes = snapshot.nodes();
    nodes.sort(Comparator.comparing(NodeState::name));
    for (NodeState node : nodes) {
      if (node.gpuCount() == 0) {
        rows.add(new String[] {node.name(), "-", "(no GPUs)", "", "", ""});
        continue;
      }
      for (int i = 0; i < node.gpuCount(); i++) {
        GpuDevice gpu = node.gpu(i);
        rows.add(
            new String[] {
              i == 0 ? node.name() : "",
              Integer.toString(i),
              gpu.model(),
              gpu.memoryKnown() ? gpu.memoryMiB() + " MiB" : "?",
              used(node, i),
              tenants(node, i)
            });
      }
    }
    return format(rows);
  }

  private static String used(NodeState node, int gpu) {
    if (node.heldWhole(gpu)) {
      return "whole";
    }
    if (node.sharedTenants(gpu) == 0) {
      return "free";
    }
    long total = node.gpu(gpu).memoryMiB();
    return String.format(Locale.ROOT, "%.2f", (double) node.usedMiB(gpu) / total);
  }

  private static String tenants(NodeState node, int gpu) {
    List<String> names = new ArrayList<>();
    for (Allocation allocation : node.allocations().values()) {
      for (GpuShare share : allocation.assignment().shares()) {
        if (share.index() == gpu) {
          names.add(
              allocation.pod()
                  + (allocation.assignment().exclusive()
                      ? ""
                      : " (" + GpuRequest.fractionText(share.fraction()) + borrowing(node, gpu, share) + ")")
                  + (allocation.assumed() ? " [assumed]" : ""));
        }
      }
    }
    names.sort(String::compareTo);
    return String.join(", ", names);
  }

  /** ", up to 0.50" for a dynamic fraction: what it may use while the GPU has room. */
  private static String borrowing(NodeState node, int gpu, GpuShare share) {
    long total = node.gpu(gpu).memoryMiB();
    return share.borrows() && total > 0
        ? ", up to " + GpuRequest.fractionText((double) share.limitMiB() / total)
        : "";
  }

  static String format(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        line.append(row[c]);
        if (c < columns - 1) {
          line.append(" ".repeat(widths[c] - row[c].length() + 2));
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }
}
