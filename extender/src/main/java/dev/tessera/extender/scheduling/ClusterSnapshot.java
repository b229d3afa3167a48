package dev.tessera.extender.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Immutable set of nodes and their ledgers that one scheduling decision reads. Lookups by name are
 * one hash probe; replacing a node copies only a small chunk of the table, so the cache can
 * publish a new snapshot per informer event cheaply even at thousands of nodes.
 */
public final class ClusterSnapshot {
  private static final int CHUNK_BITS = 6;
  private static final int CHUNK = 1 << CHUNK_BITS;
  private static final int MASK = CHUNK - 1;

  public static final ClusterSnapshot EMPTY =
      new ClusterSnapshot(NodeIndex.EMPTY, new NodeState[0][], 0, 0);

  /** Node name to position; shared between versions until a node is added or removed. */
  private final NodeIndex positions;
  private final NodeState[][] chunks;
  private final int size;
  private final long version;

  private ClusterSnapshot(NodeIndex positions, NodeState[][] chunks, int size, long version) {
    this.positions = positions;
    this.chunks = chunks;
    this.size = size;
    this.version = version;
  }

  /** Builds a snapshot from scratch; order is the iteration order of {@code nodes}. */
  public static ClusterSnapshot of(List<NodeState> nodes, long version) {
    List<String> names = new ArrayList<>(nodes.size());
    NodeState[][] chunks = new NodeState[(nodes.size() + MASK) >>> CHUNK_BITS][];
    for (int i = 0; i < chunks.length; i++) {
      chunks[i] = new NodeState[CHUNK];
    }
    int n = 0;
    for (NodeState node : nodes) {
      names.add(node.name());
      chunks[n >>> CHUNK_BITS][n & MASK] = node;
      n++;
    }
    return new ClusterSnapshot(new NodeIndex(names), chunks, n, version);
  }

  /** The node's state, or null when the snapshot does not know the node. */
  public NodeState node(String name) {
    return at(positions.position(name));
  }

  /**
   * The state of the {@code i}-th node a request listed, or null when the snapshot does not know
   * it: by the position found when the request was read, if this snapshot has the same nodes.
   */
  public NodeState node(RequestedNodes nodes, int i) {
    return at(nodes.position(i, positions));
  }

  /**
   * Collects a request's node names, resolving each in this snapshot's node table as it is read.
   * Later snapshots with the same nodes find them by those positions.
   */
  public RequestedNodes.Builder requestedNodes() {
    return new RequestedNodes.Builder(positions);
  }

  private NodeState at(int position) {
    return position < 0 ? null : chunks[position >>> CHUNK_BITS][position & MASK];
  }

  public int size() {
    return size;
  }

  /** Increases with every published change; equal versions mean equal content. */
  public long version() {
    return version;
  }

  public void forEach(Consumer<NodeState> action) {
    for (int i = 0; i < size; i++) {
      action.accept(chunks[i >>> CHUNK_BITS][i & MASK]);
    }
  }

  public List<NodeState> nodes() {
    List<NodeState> all = new ArrayList<>(size);
    forEach(all::add);
    return all;
  }

  /**
   * Calls {@code action} with every node of this snapshot whose state is not the one {@code older}
   * has (changed or added). Snapshots share unchanged chunks of the node table, so when both have
   * the same nodes only chunks that were copied are looked into.
   */
  public void forEachChangedSince(ClusterSnapshot older, Consumer<NodeState> action) {
    if (older == this) {
      return;
    }
    if (older.positions == positions) {
      for (int c = 0; c < chunks.length; c++) {
        if (chunks[c] == older.chunks[c]) {
          continue;
        }
        int end = Math.min(CHUNK, size - (c << CHUNK_BITS));
        for (int i = 0; i < end; i++) {
          if (chunks[c][i] != older.chunks[c][i]) {
            action.accept(chunks[c][i]);
          }
        }
      }
      return;
    }
    forEach(node -> {
      if (older.node(node.name()) != node) {
        action.accept(node);
      }
    });
  }

  /** A snapshot with {@code state} replacing the node of the same name, or added if new. */
  public ClusterSnapshot with(NodeState state, long newVersion) {
    int position = positions.position(state.name());
    if (position < 0) {
      List<NodeState> all = nodes();
      all.add(state);
      return of(all, newVersion);
    }
    int chunkIndex = position >>> CHUNK_BITS;
    NodeState[][] newChunks = Arrays.copyOf(chunks, chunks.length);
    NodeState[] chunk = Arrays.copyOf(chunks[chunkIndex], CHUNK);
    chunk[position & MASK] = state;
    newChunks[chunkIndex] = chunk;
    return new ClusterSnapshot(positions, newChunks, size, newVersion);
  }

  /** A snapshot without the named node; this one if it is not there. */
  public ClusterSnapshot without(String name, long newVersion) {
    if (positions.position(name) < 0) {
      return this;
    }
    List<NodeState> rest = new ArrayList<>(size - 1);
    forEach(node -> {
      if (!node.name().equals(name)) {
        rest.add(node);
      }
    });
    return of(rest, newVersion);
  }
}
