package dev.tessera.extender.scheduling;

import java.util.Arrays;
import java.util.List;

/**
 * Node name to position in a snapshot: an open-addressing table of (hash, position) pairs, with
 * every name's characters stored back to back. Besides lookup by {@link String}, it finds a name
 * straight from a JSON parser's character buffer, so a filter call's hundreds of node names are
 * resolved once, where they are read, without a String each. A probe touches the pair's cache line
 * and, on a hash match, the name's characters: not a String object and its byte array, which at
 * thousands of names per call were cache misses. Immutable; shared between snapshot versions until
 * a node is added or removed.
 */
final class NodeIndex {
  static final NodeIndex EMPTY = new NodeIndex(List.of());

  private final String[] names;
  /** Slot s holds hash at 2s and position + 1 at 2s + 1; 0 marks an empty slot. */
  private final int[] slots;
  private final char[] spelling;
  /** Name at position p is {@code spelling[starts[p], starts[p + 1])}. */
  private final int[] starts;
  private final int mask;

  /** @throws IllegalArgumentException when a name appears twice */
  NodeIndex(List<String> namesInOrder) {
    int size = namesInOrder.size();
    int capacity = Integer.highestOneBit(Math.max(4, size * 2 - 1)) << 1;
    names = namesInOrder.toArray(new String[0]);
    slots = new int[2 * capacity];
    mask = capacity - 1;
    starts = new int[size + 1];
    int length = 0;
    for (int position = 0; position < size; position++) {
      starts[position] = length;
      length += names[position].length();
    }
    starts[size] = length;
    spelling = new char[length];
    for (int position = 0; position < size; position++) {
      String name = names[position];
      name.getChars(0, name.length(), spelling, starts[position]);
      int hash = name.hashCode();
      int slot = spread(hash) & mask;
      while (slots[2 * slot + 1] != 0) {
        if (names[slots[2 * slot + 1] - 1].equals(name)) {
          throw new IllegalArgumentException("node " + name + " appears twice");
        }
        slot = (slot + 1) & mask;
      }
      slots[2 * slot] = hash;
      slots[2 * slot + 1] = position + 1;
    }
  }

  /** The name at {@code position}. */
  String name(int position) {
    return names[position];
  }

  /** The node's position, or -1. */
  int position(String name) {
    int hash = name.hashCode();
    for (int slot = spread(hash) & mask; slots[2 * slot + 1] != 0; slot = (slot + 1) & mask) {
      if (slots[2 * slot] == hash) {
        int position = slots[2 * slot + 1] - 1;
        String candidate = names[position];
        if (candidate == name || candidate.equals(name)) {
          return position;
        }
      }
    }
    return -1;
  }

  /** The position of the name spelled by {@code chars[offset, offset + length)}, or -1. */
  int position(char[] chars, int offset, int length) {
    int hash = 0;
    for (int i = 0; i < length; i++) {
      hash = 31 * hash + chars[offset + i]; // String.hashCode's definition
    }
    for (int slot = spread(hash) & mask; slots[2 * slot + 1] != 0; slot = (slot + 1) & mask) {
      if (slots[2 * slot] == hash) {
        int position = slots[2 * slot + 1] - 1;
        if (spells(position, chars, offset, length)) {
          return position;
        }
      }
    }
    return -1;
  }

  private boolean spells(int position, char[] chars, int offset, int length) {
    int start = starts[position];
    return starts[position + 1] - start == length
        && Arrays.equals(spelling, start, start + length, chars, offset, offset + length);
  }

  /**
   * Scatters the hash before the mask keeps its low bits. Node names are numbered ("gpu-node-00042"),
   * so their String hashes are near neighbours; HashMap's xor-shift alone left them in long runs
   * (5.5 probes per name at 5,000 numbered names), a multiplicative mix first leaves 1.2.
   */
  private static int spread(int hash) {
    int mixed = hash * 0x9E3779B9;
    return mixed ^ (mixed >>> 16);
  }
}
