package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.testing.Nodes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterSnapshotTest {

  private static List<NodeState> nodes(int count) {
    List<NodeState> nodes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      nodes.add(Nodes.node("node-" + i).gpus(1 + i % 8).empty());
    }
    return nodes;
  }

  private static List<String> names(ClusterSnapshot snapshot) {
    return snapshot.nodes().stream().map(NodeState::name).collect(Collectors.toList());
  }

  @Test
  void emptySnapshot() {
    assertEquals(0, ClusterSnapshot.EMPTY.size());
    assertEquals(0, ClusterSnapshot.EMPTY.version());
    assertTrue(ClusterSnapshot.EMPTY.nodes().isEmpty());
    assertNull(ClusterSnapshot.EMPTY.node("anything"));
    assertSame(ClusterSnapshot.EMPTY, ClusterSnapshot.EMPTY.without("anything", 5));
    ClusterSnapshot one = ClusterSnapshot.EMPTY.with(Nodes.node("a").gpus(1).empty(), 1);
    assertEquals(List.of("a"), names(one));
    assertEquals(0, ClusterSnapshot.EMPTY.size(), "EMPTY is never changed");
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {1, 63, 64, 65, 128, 129, 5000})
  void buildsAndLooksUpEveryNode(int count) {
    List<NodeState> nodes = nodes(count);
    ClusterSnapshot snapshot = ClusterSnapshot.of(nodes, 7);
    assertEquals(count, snapshot.size());
    assertEquals(7, snapshot.version());
    for (NodeState node : nodes) {
      assertSame(node, snapshot.node(node.name()));
    }
    assertNull(snapshot.node("node-" + count));
    assertEquals(nodes, snapshot.nodes(), "iteration keeps the given order");
    List<NodeState> visited = new ArrayList<>();
    snapshot.forEach(visited::add);
    assertEquals(nodes, visited);
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {1, 63, 64, 65, 5000})
  void replacingANodeLeavesTheOldVersionUnchanged(int count) {
    List<NodeState> nodes = nodes(count);
    ClusterSnapshot v1 = ClusterSnapshot.of(nodes, 1);
    for (int position : new int[] {0, count / 2, count - 1}) {
      NodeState old = nodes.get(position);
      NodeState replacement = old.with(NodeStateTestSupport.wholeOn(old.name(), 0));
      ClusterSnapshot v2 = v1.with(replacement, 2);

      assertEquals(2, v2.version());
      assertEquals(count, v2.size());
      assertSame(replacement, v2.node(old.name()));
      assertEquals(position, names(v2).indexOf(old.name()), "keeps its position");
      assertSame(old, v1.node(old.name()), "old version unchanged");
      assertEquals(1, v1.version());
      assertEquals(nodes, v1.nodes());
      for (NodeState other : nodes) {
        if (other != old) {
          assertSame(other, v2.node(other.name()));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {1, 63, 64, 65, 5000})
  void addingANodeAppendsIt(int count) {
    List<NodeState> nodes = nodes(count);
    ClusterSnapshot v1 = ClusterSnapshot.of(nodes, 1);
    NodeState added = Nodes.node("new").gpus(2).empty();
    ClusterSnapshot v2 = v1.with(added, 2);
    assertEquals(count + 1, v2.size());
    assertSame(added, v2.node("new"));
    assertEquals("new", names(v2).get(count));
    for (NodeState node : nodes) {
      assertSame(node, v2.node(node.name()));
    }
    assertEquals(count, v1.size());
    assertNull(v1.node("new"));
  }

  @ParameterizedTest(name = "{0} nodes")
  @ValueSource(ints = {1, 63, 64, 65, 5000})
  void removingANodeKeepsTheRestInOrder(int count) {
    List<NodeState> nodes = nodes(count);
    ClusterSnapshot v1 = ClusterSnapshot.of(nodes, 1);
    String victim = "node-" + (count / 2);
    ClusterSnapshot v2 = v1.without(victim, 2);
    assertEquals(count - 1, v2.size());
    assertEquals(2, v2.version());
    assertNull(v2.node(victim));
    List<NodeState> expected = new ArrayList<>(nodes);
    expected.removeIf(n -> n.name().equals(victim));
    assertEquals(expected, v2.nodes());
    for (NodeState node : expected) {
      assertSame(node, v2.node(node.name()));
    }
    assertEquals(count, v1.size());
    assertSame(nodes.get(count / 2), v1.node(victim));
  }

  @Test
  void removingAnUnknownNodeIsTheSameSnapshot() {
    ClusterSnapshot snapshot = ClusterSnapshot.of(nodes(3), 4);
    assertSame(snapshot, snapshot.without("nope", 5));
  }

  @Test
  void removeThenAddAcrossTheChunkBoundary() {
    ClusterSnapshot snapshot = ClusterSnapshot.of(nodes(65), 1);
    snapshot = snapshot.without("node-0", 2);
    assertEquals(64, snapshot.size());
    assertSame(null, snapshot.node("node-0"));
    NodeState back = Nodes.node("node-0").gpus(3).empty();
    snapshot = snapshot.with(back, 3);
    assertEquals(65, snapshot.size());
    assertSame(back, snapshot.node("node-0"));
    assertEquals("node-0", names(snapshot).get(64));
    assertEquals("node-64", names(snapshot).get(63));
    // Replacing in the second chunk after the rebuild.
    NodeState replaced = back.with(NodeStateTestSupport.wholeOn("node-0", 1));
    ClusterSnapshot next = snapshot.with(replaced, 4);
    assertSame(replaced, next.node("node-0"));
    assertSame(back, snapshot.node("node-0"));
  }

  @Test
  void manySuccessiveReplacementsKeepEveryVersion() {
    List<NodeState> nodes = nodes(200);
    List<ClusterSnapshot> versions = new ArrayList<>();
    ClusterSnapshot current = ClusterSnapshot.of(nodes, 0);
    versions.add(current);
    for (int v = 1; v <= 50; v++) {
      NodeState node = current.node("node-" + (v * 7 % 200));
      current = current.with(node.with(NodeStateTestSupport.wholeOn(node.name(), 0, "pod-" + v)), v);
      versions.add(current);
    }
    for (int v = 0; v <= 50; v++) {
      ClusterSnapshot snapshot = versions.get(v);
      assertEquals(v, snapshot.version());
      int held = 0;
      for (NodeState node : snapshot.nodes()) {
        held += node.allocations().size();
      }
      // node-(v*7 % 200) are distinct for v = 1..50 (7 is coprime with 200), one pod each.
      assertEquals(v, held, "version " + v);
    }
  }

  @Test
  void duplicateNamesAreRejected() {
    List<NodeState> nodes = new ArrayList<>(nodes(70));
    nodes.add(Nodes.node("node-65").gpus(1).empty());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClusterSnapshot.of(nodes, 1));
    assertTrue(e.getMessage().contains("node-65 appears twice"), e.getMessage());
  }
}
