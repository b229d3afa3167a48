package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.testing.Nodes;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestedNodesTest {
  private final NodeState a = Nodes.node("node-a").gpus(8).empty();
  private final NodeState b = Nodes.node("node-b").gpus(8).empty();
  private final NodeState c = Nodes.node("node-c").gpus(8).empty();
  private final ClusterSnapshot snapshot = ClusterSnapshot.of(List.of(a, b, c), 1);

  @Test
  void namesResolvedWhileReadFindTheirNodesAndUnknownOnesFindNone() {
    RequestedNodes nodes = read(snapshot, "node-c", "node-x", "node-a");

    assertEquals(List.of("node-c", "node-x", "node-a"), nodes.names());
    assertSame(c, snapshot.node(nodes, 0));
    assertNull(snapshot.node(nodes, 1));
    assertSame(a, snapshot.node(nodes, 2));
  }

  @Test
  void aLaterSnapshotWithTheSameNodesFindsTheirNewState() {
    RequestedNodes nodes = read(snapshot, "node-b");
    NodeState bChanged = Nodes.node("node-b").gpus(4).empty();

    ClusterSnapshot later = snapshot.with(bChanged, 2);

    assertSame(bChanged, later.node(nodes, 0));
  }

  @Test
  void aSnapshotWhoseNodesMovedFindsThemByName() {
    RequestedNodes nodes = read(snapshot, "node-a", "node-b", "node-c");

    // Removing node-a moves node-b and node-c to other positions.
    ClusterSnapshot later = snapshot.without("node-a", 2);

    assertNull(later.node(nodes, 0));
    assertSame(b, later.node(nodes, 1));
    assertSame(c, later.node(nodes, 2));
  }

  @Test
  void namesNeverResolvedAreLookedUpByName() {
    RequestedNodes nodes = RequestedNodes.of(List.of("node-b", "node-y"));

    assertSame(b, snapshot.node(nodes, 0));
    assertNull(snapshot.node(nodes, 1));
  }

  @Test
  void aBuilderAddsOnlyNamesItsTableKnowsFromCharacters() {
    RequestedNodes.Builder builder = snapshot.requestedNodes();
    char[] chars = "[node-b,node-q]".toCharArray();

    assertTrue(builder.addKnown(chars, 1, 6));
    assertFalse(builder.addKnown(chars, 8, 6));
    builder.add("node-q");

    RequestedNodes nodes = builder.build();
    assertEquals(List.of("node-b", "node-q"), nodes.names());
    assertSame(b.name(), nodes.name(0));
  }

  private static RequestedNodes read(ClusterSnapshot in, String... names) {
    RequestedNodes.Builder builder = in.requestedNodes();
    for (String name : names) {
      char[] chars = name.toCharArray();
      if (!builder.addKnown(chars, 0, chars.length)) {
        builder.add(name);
      }
    }
    return builder.build();
  }
}
