package dev.tessera.extender.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.tessera.extender.verbs.FilterDecision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes the extender's answers to kube-scheduler straight into the response buffer, with the Go
 * types' capitalised field names and {@code null} where Go would send a nil slice or pointer.
 *
 * <p>Every answer keeps to what was asked: passing nodes, failed nodes and preemption victims are
 * taken from the request in its order and looked up in the decision, so a name the decision core
 * made up never reaches kube-scheduler (which rejects a filter answer naming a node it did not
 * send). Thread-safe.
 */
public final class WireWriter {
  /** kube-scheduler's {@code MaxExtenderPriority}. */
  static final int MAX_SCORE = 10;

  private static final SerializableString NODES = new SerializedString("Nodes");
  private static final SerializableString NODE_NAMES = new SerializedString("NodeNames");
  private static final SerializableString FAILED = new SerializedString("FailedNodes");
  private static final SerializableString UNRESOLVABLE =
      new SerializedString("FailedAndUnresolvableNodes");
  private static final SerializableString ERROR = new SerializedString("Error");
  private static final SerializableString METADATA = new SerializedString("metadata");
  private static final SerializableString ITEMS = new SerializedString("items");
  private static final SerializableString HOST = new SerializedString("Host");
  private static final SerializableString SCORE = new SerializedString("Score");
  private static final SerializableString META_VICTIMS =
      new SerializedString("NodeNameToMetaVictims");
  private static final SerializableString PODS = new SerializedString("Pods");
  private static final SerializableString UID = new SerializedString("UID");
  private static final SerializableString PDB_VIOLATIONS = new SerializedString("NumPDBViolations");

  /** Past this many reasons a thread's cache starts over, so changing ledgers cannot grow it. */
  static final int MAX_CACHED_REASONS = 1024;

  private final JsonFactory json;

  /**
   * Failure reasons already escaped and encoded on this thread, by identity: the decision core
   * hands the very same Strings call after call while kube-scheduler asks about the same pod (see
   * {@code FailureMemo}), so most calls encode none.
   */
  private final ThreadLocal<IdentityHashMap<String, SerializedString>> encodedReasons =
      ThreadLocal.withInitial(IdentityHashMap::new);

  public WireWriter() {
    this(new JsonFactory());
  }

  public WireWriter(JsonFactory json) {
    this.json = Objects.requireNonNull(json, "json");
  }

  /**
   * Writes {@code ExtenderFilterResult}. In nodeCacheCapable mode the passing names go in {@code
   * NodeNames} and {@code Nodes} is null; in full-node mode the passing nodes' original bytes are
   * copied from {@code requestBody} into {@code Nodes.items} and {@code NodeNames} is null.
   *
   * @param requestBody the body {@code args} was read from, unchanged since
   * @throws IllegalArgumentException when the decision does not cover exactly the nodes sent
   */
  public void writeFilterResult(
      ExtenderArgs args, FilterDecision decision, ByteBuf requestBody, ByteBuf out) {
    List<String> names = args.nodeNames();
    int sent = names.size();
    if (decision.size() != sent) {
      throw new IllegalArgumentException(
          "the filter decision covers " + decision.size() + " nodes but the request sent " + sent);
    }
    out.ensureWritable(estimateFilterResult(args, decision));
    try (JsonGenerator g = open(out)) {
      g.writeStartObject();
      if (args.fullNodes()) {
        g.writeFieldName(NODES);
        g.writeStartObject();
        // What Go writes for a v1.NodeList built in code: an empty ListMeta, no TypeMeta.
        g.writeFieldName(METADATA);
        g.writeStartObject();
        g.writeEndObject();
        g.writeFieldName(ITEMS);
        g.writeStartArray();
        for (int i = 0; i < sent; i++) {
          if (decision.passed(i)) {
            copyRawValue(g, requestBody, args.nodeStart(i), args.nodeEnd(i), out);
          }
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeFieldName(NODE_NAMES);
        g.writeNull();
      } else {
        g.writeFieldName(NODES);
        g.writeNull();
        g.writeFieldName(NODE_NAMES);
        g.writeStartArray();
        for (int i = 0; i < sent; i++) {
          if (decision.passed(i)) {
            g.writeString(names.get(i));
          }
        }
        g.writeEndArray();
      }
      IdentityHashMap<String, SerializedString> encoded = encodedReasons.get();
      if (encoded.size() > MAX_CACHED_REASONS) {
        encoded.clear();
      }
      writeReasons(g, FAILED, names, decision, false, encoded);
      writeReasons(g, UNRESOLVABLE, names, decision, true, encoded);
      g.writeFieldName(ERROR);
      g.writeString(decision.error());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code HostPriorityList}: one {@code {Host, Score}} per node sent, scores clamped to
   * 0..10 because kube-scheduler multiplies them by the extender weight unchecked.
   *
   * @throws IllegalArgumentException when there is not exactly one score per node sent
   */
  public void writeHostPriorityList(List<String> nodeNames, int[] scores, ByteBuf out) {
    if (scores.length != nodeNames.size()) {
      throw new IllegalArgumentException(
          "prioritize returned "
              + scores.length
              + " scores but the request sent "
              + nodeNames.size()
              + " nodes");
    }
    out.ensureWritable(16 + 32 * scores.length);
    try (JsonGenerator g = open(out)) {
      g.writeStartArray();
      for (int i = 0; i < scores.length; i++) {
        g.writeStartObject();
        g.writeFieldName(HOST);
        g.writeString(nodeNames.get(i));
        g.writeFieldName(SCORE);
        g.writeNumber(Math.max(0, Math.min(MAX_SCORE, scores[i])));
        g.writeEndObject();
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code ExtenderBindingResult}; an empty or null error means the bind succeeded. */
  public void writeBindingResult(String error, ByteBuf out) {
    writeError(error == null ? "" : error, out);
  }

  /**
   * Writes {@code ExtenderPreemptionResult} with the accepted victims as UIDs. Only nodes and
   * victims that were offered are written, in the order offered; a node the decision kept but whose
   * listed victims were all unknown is left out rather than sent with no victims, which
   * kube-scheduler would read as "preempt nothing there". {@code NumPDBViolations} is echoed from
   * the request.
   */
  public void writePreemptionResult(
      PreemptionArgs args, Map<String, List<String>> accepted, ByteBuf out) {
    try (JsonGenerator g = open(out)) {
      g.writeStartObject();
      g.writeFieldName(META_VICTIMS);
      g.writeStartObject();
      for (Map.Entry<String, List<String>> offered : args.victimUidsByNode().entrySet()) {
        List<String> kept = accepted.get(offered.getKey());
        if (kept == null) {
          continue;
        }
        Set<String> keptUids = new HashSet<>(kept);
        List<String> victims = offered.getValue().stream().filter(keptUids::contains).toList();
        if (victims.isEmpty() && !kept.isEmpty()) {
          continue;
        }
        g.writeFieldName(offered.getKey());
        g.writeStartObject();
        g.writeFieldName(PODS);
        g.writeStartArray();
        for (String uid : victims) {
          g.writeStartObject();
          g.writeFieldName(UID);
          g.writeString(uid);
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeFieldName(PDB_VIOLATIONS);
        g.writeNumber(args.pdbViolationsByNode().getOrDefault(offered.getKey(), 0L));
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code {"Error": reason}}, the body of every refused request. */
  public void writeError(String reason, ByteBuf out) {
    try (JsonGenerator g = open(out)) {
      g.writeStartObject();
      g.writeFieldName(ERROR);
      g.writeString(reason);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The failed nodes whose unresolvable flag is {@code unresolvable}, with their reasons, in the
   * order sent. Reasons repeat across thousands of nodes (the same String object, see {@code
   * FailureMemo}), so each is escaped and encoded once, and neighbours usually share one.
   */
  private static void writeReasons(
      JsonGenerator g,
      SerializableString field,
      List<String> names,
      FilterDecision decision,
      boolean unresolvable,
      IdentityHashMap<String, SerializedString> encoded)
      throws IOException {
    g.writeFieldName(field);
    g.writeStartObject();
    if (!decision.reportsFailures()) {
      g.writeEndObject();
      return;
    }
    String[] reasons = decision.reasons();
    boolean[] flags = decision.unresolvable();
    String previous = null;
    SerializedString previousEncoded = null;
    for (int i = 0; i < reasons.length; i++) {
      String reason = reasons[i];
      if (reason != null && flags[i] == unresolvable) {
        if (reason != previous) {
          previous = reason;
          previousEncoded = encoded.computeIfAbsent(reason, SerializedString::new);
        }
        g.writeFieldName(names.get(i));
        g.writeString(previousEncoded);
      }
    }
    g.writeEndObject();
  }

  /**
   * Appends bytes {@code [start, end)} of the request as the next array element. The empty raw
   * value makes the generator write the separator and count the element; flushing then puts the
   * buffer's end exactly where the copied bytes belong.
   */
  private static void copyRawValue(JsonGenerator g, ByteBuf from, int start, int end, ByteBuf out)
      throws IOException {
    g.writeRawValue("");
    g.flush();
    out.writeBytes(from, from.readerIndex() + start, end - start);
  }

  private static int estimateFilterResult(ExtenderArgs args, FilterDecision decision) {
    int bytes = 256;
    for (int i = 0; i < decision.size(); i++) {
      if (decision.passed(i)) {
        bytes +=
            args.fullNodes()
                ? args.nodeEnd(i) - args.nodeStart(i) + 1
                : args.nodeNames().get(i).length() + 3;
      }
    }
    return bytes;
  }

  private JsonGenerator open(ByteBuf out) throws IOException {
    return json.createGenerator((OutputStream) new ByteBufOutputStream(out));
  }
}
