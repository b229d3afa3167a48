package dev.tessera.extender.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.GpuDevice;
import dev.tessera.extender.model.GpuNode;
import dev.tessera.extender.model.PlacementStrategy;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeInventoryTest {
  private final List<String> warnings = new ArrayList<>();
  private final NodeInventory inventory = new NodeInventory(warnings::add);

  @Test
  void readsGpuFeatureDiscoveryLabelsAndAllocatableGpus() {
    Node node = Fixtures.gfdNode("gpu-a100-01", 8, 81920);
    node.getMetadata().getLabels().put(WellKnown.PLACEMENT_STRATEGY_LABEL, "Spread");

    GpuNode gpuNode = inventory.toGpuNode(node);

    assertEquals("gpu-a100-01", gpuNode.name());
    assertEquals(8, gpuNode.gpuCount());
    for (int i = 0; i < 8; i++) {
      assertEquals(new GpuDevice(i, null, Fixtures.A100, 81920), gpuNode.gpus().get(i));
    }
    assertEquals(PlacementStrategy.SPREAD, gpuNode.strategy());
    assertTrue(warnings.isEmpty(), warnings.toString());
  }

  @Test
  void allocatableWinsOverCapacityAndLabel() {
    Node node = node(Map.of(WellKnown.GFD_COUNT, "8"), "6", "8");
    assertEquals(6, inventory.toGpuNode(node).gpuCount()); // two GPUs unhealthy: not allocatable
  }

  @Test
  void fallsBackToCapacityThenToTheCountLabel() {
    assertEquals(4, inventory.toGpuNode(node(Map.of(WellKnown.GFD_COUNT, "8"), null, "4")).gpuCount());
    assertEquals(8, inventory.toGpuNode(node(Map.of(WellKnown.GFD_COUNT, "8"), null, null)).gpuCount());
  }

  @Test
  void aNodeWithoutGpusIsAnEmptyInventoryWithoutWarnings() {
    GpuNode cpu = inventory.toGpuNode(new NodeBuilder().withNewMetadata().withName("cpu-01").endMetadata().build());
    assertEquals(0, cpu.gpuCount());
    assertNull(cpu.strategy());
    assertTrue(warnings.isEmpty());
  }

  @Test
  void missingProductAndMemoryMeanUnknown() {
    GpuNode gpuNode = inventory.toGpuNode(node(Map.of(), "2", null));
    assertEquals(2, gpuNode.gpuCount());
    assertEquals(NodeInventory.UNKNOWN_MODEL, gpuNode.gpus().get(0).model());
    assertEquals(0, gpuNode.gpus().get(0).memoryMiB());
    assertFalse(gpuNode.gpus().get(0).memoryKnown());
    assertTrue(warnings.isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "-1", "1.5", "65", "1000", "8k", " ", "99999999999999999999999", "0x8"})
  void aBadAllocatableCountMeansNoGpusAndOneWarning(String bad) {
    Node node = node(Map.of(WellKnown.GFD_COUNT, "8", WellKnown.GFD_MEMORY_MIB, "81920"), bad, "8");
    GpuNode gpuNode = inventory.toGpuNode(node);
    assertEquals(0, gpuNode.gpuCount());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("gpu-x"), warnings.get(0));
    assertTrue(warnings.get(0).contains("'" + bad + "'"), warnings.get(0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"eight", "-8", "8.0", "65", " ", "1e1"})
  void aBadCountLabelMeansNoGpus(String bad) {
    GpuNode gpuNode = inventory.toGpuNode(node(Map.of(WellKnown.GFD_COUNT, bad), null, null));
    assertEquals(0, gpuNode.gpuCount());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains(WellKnown.GFD_COUNT), warnings.get(0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"80GB", "-81920", "81920.5", "", "99999999999999999999", "17179869184"})
  void aBadMemoryLabelMeansUnknownMemory(String bad) {
    GpuNode gpuNode = inventory.toGpuNode(node(Map.of(WellKnown.GFD_MEMORY_MIB, bad), "4", null));
    assertEquals(4, gpuNode.gpuCount());
    assertEquals(0, gpuNode.gpus().get(3).memoryMiB());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains(WellKnown.GFD_MEMORY_MIB), warnings.get(0));
  }

  @Test
  void aBadStrategyMeansTheDefault() {
    GpuNode gpuNode = inventory.toGpuNode(node(Map.of(WellKnown.PLACEMENT_STRATEGY_LABEL, "pack-tight"), "1", null));
    assertNull(gpuNode.strategy());
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains("pack-tight"), warnings.get(0));
  }

  @Test
  void warnsOncePerNodeAndValueNotOnEveryResync() {
    Node bad = node(Map.of(WellKnown.GFD_MEMORY_MIB, "lots"), "abc", null);
    for (int i = 0; i < 100; i++) {
      inventory.toGpuNode(bad);
    }
    assertEquals(1, warnings.size(), warnings.toString()); // the count is bad; memory is not read without GPUs

    inventory.toGpuNode(node(Map.of(WellKnown.GFD_MEMORY_MIB, "lots"), "2", null));
    inventory.toGpuNode(node(Map.of(WellKnown.GFD_MEMORY_MIB, "lots"), "2", null));
    assertEquals(2, warnings.size(), warnings.toString()); // a new bad value: one more warning

    inventory.forget("gpu-x"); // the node was deleted; a new node of that name warns again
    inventory.toGpuNode(bad);
    assertEquals(3, warnings.size(), warnings.toString());
  }

  @Test
  void rememberedWarningsAreBoundedOldestForgottenFirst() {
    for (int i = 0; i <= NodeInventory.MAX_REMEMBERED_WARNINGS; i++) {
      inventory.toGpuNode(node(Map.of(), "bad-" + i, null));
    }
    assertEquals(NodeInventory.MAX_REMEMBERED_WARNINGS + 1, warnings.size());
    inventory.toGpuNode(node(Map.of(), "bad-" + NodeInventory.MAX_REMEMBERED_WARNINGS, null));
    assertEquals(NodeInventory.MAX_REMEMBERED_WARNINGS + 1, warnings.size()); // newest: remembered
    inventory.toGpuNode(node(Map.of(), "bad-0", null));
    assertEquals(NodeInventory.MAX_REMEMBERED_WARNINGS + 2, warnings.size()); // oldest: forgotten
  }

  private static Node node(Map<String, String> labels, String allocatable, String capacity) {
    NodeBuilder builder = new NodeBuilder().withNewMetadata().withName("gpu-x").withLabels(Map.copyOf(labels)).endMetadata();
    var status = builder.withNewStatus();
    if (allocatable != null) {
      status.addToAllocatable(WellKnown.GPU_RESOURCE, new Quantity(allocatable));
    }
    if (capacity != null) {
      status.addToCapacity(WellKnown.GPU_RESOURCE, new Quantity(capacity));
    }
    return status.endStatus().build();
  }
}
