package dev.tessera.extender.scheduling;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The node names one request listed, in the order sent, each resolved once to its position in a
 * snapshot's node table while the request is read. A decision then finds each node by position in
 * any snapshot that shares that table (snapshots share it until a node is added or removed), and
 * falls back to a lookup by name in one that does not. Immutable once built.
 */
public final class RequestedNodes {
  private final List<String> names;
  /**
   * Position of each name in {@link #table}, -1 when the table does not know it; may be longer
   * than the list.
   */
  private final int[] positions;
  /** The table the names were resolved in; {@link NodeIndex#EMPTY} when they were not. */
  private final NodeIndex table;

  private RequestedNodes(List<String> names, int[] positions, NodeIndex table) {
    this.names = names;
    this.positions = positions;
    this.table = table;
  }

  /** Names not resolved in any table: every decision looks them up by name. */
  public static RequestedNodes of(List<String> names) {
    List<String> copy = List.copyOf(names);
    int[] unknown = new int[copy.size()];
    Arrays.fill(unknown, -1);
    return new RequestedNodes(copy, unknown, NodeIndex.EMPTY);
  }

  /** Collects names without resolving them. */
  public static Builder builder() {
    return new Builder(NodeIndex.EMPTY);
  }

  public int size() {
    return names.size();
  }

  public String name(int i) {
    return names.get(i);
  }

  /** The names in the order sent; read-only. */
  public List<String> names() {
    return names;
  }

  /** Node {@code i}'s position in {@code index}, or -1 when the index does not hold it. */
  int position(int i, NodeIndex index) {
    Objects.checkIndex(i, names.size());
    return index == table ? positions[i] : index.position(names.get(i));
  }

  /**
   * Adds names as a reader meets them. A name the table knows is added from the parser's buffer as
   * the table's own String, at no allocation; the reader adds any other as a String of its own.
   * Not thread-safe: one per request.
   */
  public static final class Builder {
    private final NodeIndex table;
    // Sized for a typical call (kube-scheduler sends up to a few hundred names) and handed to the
    // built list without a copy: at thousands of calls a second the growth copies were the
    // reader's largest garbage.
    private String[] names = new String[256];
    private int[] positions = new int[256];
    private int size;

    Builder(NodeIndex table) {
      this.table = Objects.requireNonNull(table, "table");
    }

    /**
     * Adds the name spelled by {@code chars[offset, offset + length)} if the table knows it.
     *
     * @return false, adding nothing, when the table does not know it
     */
    public boolean addKnown(char[] chars, int offset, int length) {
      int position = table.position(chars, offset, length);
      if (position < 0) {
        return false;
      }
      append(table.name(position), position);
      return true;
    }

    /** Adds a name; it is resolved in the table (usually it is unknown there). */
    public void add(String name) {
      append(name, table.position(name));
    }

    public int size() {
      return size;
    }

    /** The list of names added so far; the builder must not be used after. */
    public RequestedNodes build() {
      List<String> list = Arrays.asList(names).subList(0, size);
      return new RequestedNodes(Collections.unmodifiableList(list), positions, table);
    }

    private void append(String name, int position) {
      if (size == names.length) {
        names = Arrays.copyOf(names, 2 * size);
        positions = Arrays.copyOf(positions, 2 * size);
      }
      names[size] = name;
      positions[size] = position;
      size++;
    }
  }
}
