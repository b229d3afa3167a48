package dev.tessera.extender.ledger;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.actions.RecentKeys;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PlacementStrategy;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a node's GPU inventory from what the API server knows about it, until the node agent
 * reports the real devices:
 *
 * <ul>
 *   <li>count: {@code status.allocatable["nvidia.com/gpu"]}, else {@code status.capacity}, else the
 *       GPU feature discovery label {@value WellKnown#GFD_COUNT}; none of them means no GPUs;
 *   <li>model: label {@value WellKnown#GFD_PRODUCT}, {@value #UNKNOWN_MODEL} without it;
 *   <li>memory per GPU (MiB): label {@value WellKnown#GFD_MEMORY_MIB}, 0 (unknown) without it;
 *   <li>placement strategy: label {@value WellKnown#PLACEMENT_STRATEGY_LABEL}, null (the
 *       extender's default) without it.
 * </ul>
 *
 * GPUs are numbered 0..n-1 with no UUID. A bad value never throws: a bad count means no GPUs, a
 * bad memory size means unknown memory, a bad strategy means the default; each is logged at WARN
 * once per node, field and value, not again on every informer resync.
 */
public final class NodeInventory {
  private static final Logger log = LoggerFactory.getLogger(NodeInventory.class);

  public static final String UNKNOWN_MODEL = "unknown";

  /** How many (node, field, value) warnings are remembered to avoid repeating them. */
  static final int MAX_REMEMBERED_WARNINGS = 10_000;


  private final RecentKeys warned = new RecentKeys(MAX_REMEMBERED_WARNINGS);
  private final Consumer<String> warnings;

  public NodeInventory() {
    this(log::warn);
  }

  /** For tests: receives each warning (already deduplicated) instead of the log. */
  NodeInventory(Consumer<String> warnings) {
    this.warnings = Objects.requireNonNull(warnings, "warnings");
  }

  /** The node's GPU inventory; never throws on bad labels or resources. */
  public GpuNode toGpuNode(Node node) {
    String name = Objects.requireNonNull(node.getMetadata(), "node metadata").getName();
    Objects.requireNonNull(name, "node name");
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();

    int count = gpuCount(name, node.getStatus(), labels);
    String model = labels.get(WellKnown.GFD_PRODUCT);
    if (model == null || model.isBlank()) {
      model = UNKNOWN_MODEL;
    }
    long memoryMiB = count == 0 ? 0 : memoryMiB(name, labels);
    PlacementStrategy strategy = strategy(name, labels);

    List<GpuDevice> gpus = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      gpus.add(new GpuDevice(i, null, model, memoryMiB));
    }
    return new GpuNode(name, gpus, strategy, List.of(), labels, WellKnown.DEFAULT_POOL);
  }

  /** Forgets the warnings given about a node (it was deleted), so a new node of that name gets its own. */
  public void forget(String nodeName) {
    warned.forgetPrefix(nodeName + "\n");
  }

  private int gpuCount(String node, NodeStatus status, Map<String, String> labels) {
    Quantity allocatable = resource(status == null ? null : status.getAllocatable());
    if (allocatable != null) {
      String text = quantityText(allocatable);
      return count(node, "status.allocatable[" + WellKnown.GPU_RESOURCE + "]", text, quantityNumber(text));
    }
    Quantity capacity = resource(status == null ? null : status.getCapacity());
    if (capacity != null) {
      String text = quantityText(capacity);
      return count(node, "status.capacity[" + WellKnown.GPU_RESOURCE + "]", text, quantityNumber(text));
    }
    String label = labels.get(WellKnown.GFD_COUNT);
    if (label != null) {
      return count(node, "label " + WellKnown.GFD_COUNT, label, labelNumber(label));
    }
    return 0;
  }

  private static Quantity resource(Map<String, Quantity> resources) {
    return resources == null ? null : resources.get(WellKnown.GPU_RESOURCE);
  }

  private int count(String node, String field, String text, long value) {
    if (value < 0 || value > GpuNode.MAX_GPUS) {
      warnOnce(
          node,
          field,
          text,
          "node " + node + ": " + field + " is '" + text + "', not a whole number of GPUs from 0 to "
              + GpuNode.MAX_GPUS + "; treating the node as having no GPUs until it is corrected"
              + " (check the GPU device plugin and feature discovery on that node)");
      return 0;
    }
    return (int) value;
  }

  private long memoryMiB(String node, Map<String, String> labels) {
    String text = labels.get(WellKnown.GFD_MEMORY_MIB);
    if (text == null) {
      return 0;
    }
    long value = labelNumber(text);
    if (value < 0 || value > WellKnown.MAX_GPU_MEMORY_MIB) {
      warnOnce(
          node,
          "label " + WellKnown.GFD_MEMORY_MIB,
          text,
          "node " + node + ": label " + WellKnown.GFD_MEMORY_MIB + " is '" + text
              + "', not a memory size in MiB; GPU memory is unknown there, so fractional requests"
              + " will not be placed on it until the label is corrected or the node agent reports");
      return 0;
    }
    return value;
  }

  private PlacementStrategy strategy(String node, Map<String, String> labels) {
    String text = labels.get(WellKnown.PLACEMENT_STRATEGY_LABEL);
    if (text == null) {
      return null;
    }
    try {
      return PlacementStrategy.parse(text);
    } catch (IllegalArgumentException e) {
      warnOnce(
          node,
          "label " + WellKnown.PLACEMENT_STRATEGY_LABEL,
          text,
          "node " + node + ": label " + WellKnown.PLACEMENT_STRATEGY_LABEL + " is '" + text
              + "'; use binpack or spread. Using the extender's default strategy there");
      return null;
    }
  }

  /** The integer a label spells in plain decimal digits, or -1 when it does not. */
  private static long labelNumber(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty() || trimmed.length() > 18) {
      return -1;
    }
    for (int i = 0; i < trimmed.length(); i++) {
      if (trimmed.charAt(i) < '0' || trimmed.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(trimmed);
  }

  /** The whole number a resource quantity ("8", "1k") stands for, or -1 when it is not one. */
  private static long quantityNumber(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty() || trimmed.length() > 40) {
      return -1;
    }
    try {
      BigDecimal value = new Quantity(trimmed).getNumericalAmount();
      if (value.signum() < 0) {
        return -1;
      }
      BigDecimal whole = value.stripTrailingZeros();
      if (whole.scale() > 0) {
        return -1;
      }
      return whole.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0 ? -1 : whole.longValueExact();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String quantityText(Quantity quantity) {
    String amount = quantity.getAmount() == null ? "" : quantity.getAmount();
    String format = quantity.getFormat() == null ? "" : quantity.getFormat();
    return amount + format;
  }

  private void warnOnce(String node, String field, String value, String message) {
    if (warned.firstTime(node + "\n" + field + "\n" + value)) {
      warnings.accept(message);
    }
  }
}
