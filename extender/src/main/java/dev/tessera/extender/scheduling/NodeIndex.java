package dev.tessera.extender.scheduling;

import java.util.List;

/**
 * Node name to position in a snapshot: an open-addressing table with the names' hashes stored
 * inline. Besides lookup by {@link String}, it finds a name straight from a JSON parser's character
 * buffer and hands back the canonical String: a filter call's thousands of node names then cost no
 * String allocation, and the later lookup by that String reuses its cached hash and matches by
 * identity. Immutable; shared between snapshot versions until a node is added or removed.
 */
final class NodeIndex {
  static final NodeIndex EMPTY = new NodeIndex(List.of());

  private final String[] names;
  private final int[] hashes;
  private final int[] positions;
  private final int mask;

  /** @throws IllegalArgumentException when a name appears twice */
  NodeIndex(List<String> namesInOrder) {
    int capacity = Integer.highestOneBit(Math.max(4, namesInOrder.size() * 2 - 1)) << 1;
    names = new String[capacity];
    hashes = new int[capacity];
    positions = new int[capacity];
    mask = capacity - 1;
    for (int position = 0; position < namesInOrder.size(); position++) {
      String name = namesInOrder.get(position);
      int hash = name.hashCode();
      int slot = spread(hash) & mask;
      while (names[slot] != null) {
        if (names[slot].equals(name)) {
          throw new IllegalArgumentException("node " + name + " appears twice");
        }
        slot = (slot + 1) & mask;
      }
      names[slot] = name;
      hashes[slot] = hash;
      positions[slot] = position;
    }
  }

  /** The node's position, or -1. */
  int position(String name) {
    int hash = name.hashCode();
    for (int slot = spread(hash) & mask; names[slot] != null; slot = (slot + 1) & mask) {
      String candidate = names[slot];
      if (hashes[slot] == hash && (candidate == name || candidate.equals(name))) {
        return positions[slot];
      }
    }
    return -1;
  }

  /** The known name spelled by {@code chars[offset, offset + length)}, or null. */
  String canonical(char[] chars, int offset, int length) {
    int hash = 0;
    for (int i = 0; i < length; i++) {
      hash = 31 * hash + chars[offset + i]; // String.hashCode's definition
    }
    for (int slot = spread(hash) & mask; names[slot] != null; slot = (slot + 1) & mask) {
      if (hashes[slot] == hash && spells(names[slot], chars, offset, length)) {
        return names[slot];
      }
    }
    return null;
  }

  private static boolean spells(String name, char[] chars, int offset, int length) {
    if (name.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (name.charAt(i) != chars[offset + i]) {
        return false;
      }
    }
    return true;
  }

  /** Mixes high bits into the low ones the mask keeps, as HashMap does. */
  private static int spread(int hash) {
    return hash ^ (hash >>> 16);
  }
}
