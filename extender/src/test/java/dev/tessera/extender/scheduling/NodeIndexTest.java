package dev.tessera.extender.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeIndexTest {

  @Test
  void findsEveryNameByStringAndByCharactersAsTheSameInstance() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      names.add("gpu-node-" + i);
    }
    names.add("Aa"); // "Aa" and "BB" share a String hash code
    names.add("BB");
    NodeIndex index = new NodeIndex(names);

    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      assertEquals(i, index.position(new String(name)), name);
      char[] buffer = ("[\"" + name + "\"]").toCharArray();
      assertEquals(i, index.position(buffer, 2, name.length()), name);
      assertSame(name, index.name(i));
    }
  }

  @Test
  void unknownNamesAndPrefixesAreNotFound() {
    NodeIndex index = new NodeIndex(List.of("gpu-1", "gpu-10"));
    assertEquals(-1, index.position("gpu-2"));
    assertEquals(-1, index.position("gpu-100".toCharArray(), 0, 7));
    assertEquals(-1, index.position("gpu-1".toCharArray(), 0, 4));
    assertEquals(-1, NodeIndex.EMPTY.position("gpu-1"));
    assertEquals(-1, NodeIndex.EMPTY.position(new char[0], 0, 0));
  }

  @Test
  void refusesDuplicateNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new NodeIndex(List.of("a", "b", "a")));
    assertEquals("node a appears twice", e.getMessage());
  }
}
