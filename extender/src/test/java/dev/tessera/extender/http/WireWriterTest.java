package dev.tessera.extender.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.extender.verbs.FilterDecision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WireWriterTest {
  private final WireReader reader = new WireReader();
  private final WireWriter writer = new WireWriter();

  @Test
  void writesTheSampleFilterResultWithGoNulls() throws Exception {
    ExtenderArgs args = reader.readExtenderArgs(Samples.utf8(Samples.text("filter-request.json")));
    FilterDecision decision =
        new FilterDecision(
            new String[] {
              "no GPU with 0.50 free: best has 0.25 free (GPU-3f1a...)",
              null,
              "node pool h100 is not allowed for project vision"
            },
            new boolean[] {false, false, true},
            "");

    String json =
        write(out -> writer.writeFilterResult(args, decision, Unpooled.EMPTY_BUFFER, out));

    assertEquals(Samples.sampleTree("filter-response.json"), Samples.tree(json));
    assertTrue(json.startsWith("{\"Nodes\":null,\"NodeNames\":[\"gpu-a100-02\"],"), json);
  }

  @ParameterizedTest
  @EnumSource(Samples.Shape.class)
  void copiesPassingFullNodesByteForByte(Samples.Shape shape) throws Exception {
    byte[] bytes = Samples.bytes("filter-request-full-nodes.json");
    ByteBuf body = shape.apply(bytes);
    ExtenderArgs args = reader.readExtenderArgs(body);
    FilterDecision decision =
        new FilterDecision(new String[] {null, "all 8 GPUs in use", null}, new boolean[3], "");

    String json = write(out -> writer.writeFilterResult(args, decision, body, out));

    String node0 = span(bytes, args, 0);
    String node2 = span(bytes, args, 2);
    assertEquals(
        "{\"Nodes\":{\"metadata\":{},\"items\":["
            + node0
            + ","
            + node2
            + "]},\"NodeNames\":null,\"FailedNodes\":{\"gpu-a100-02\":\"all 8 GPUs in use\"},"
            + "\"FailedAndUnresolvableNodes\":{},\"Error\":\"\"}",
        json);
    JsonNode items =
        Samples.tree(Samples.text("filter-request-full-nodes.json")).at("/Nodes/items");
    JsonNode written = Samples.tree(json).at("/Nodes/items");
    assertEquals(items.get(0), written.get(0));
    assertEquals(items.get(2), written.get(1));
  }

  @Test
  void writesAnEmptyItemListWhenNoFullNodePasses() throws Exception {
    ByteBuf body = Samples.utf8(Samples.text("filter-request-full-nodes.json"));
    ExtenderArgs args = reader.readExtenderArgs(body);
    String json =
        write(
            out ->
                writer.writeFilterResult(
                    args, new FilterDecision(new String[] {"x", "y", "z"}, new boolean[] {false, false, true}, "no"), body, out));
    assertEquals(
        "{\"Nodes\":{\"metadata\":{},\"items\":[]},\"NodeNames\":null,"
            + "\"FailedNodes\":{\"gpu-a100-01\":\"x\",\"gpu-a100-02\":\"y\"},"
            + "\"FailedAndUnresolvableNodes\":{\"gpu-h100-01\":\"z\"},\"Error\":\"no\"}",
        json);
  }

  @Test
  void writesFailedNodesInTheOrderSentSplitByResolvability() throws Exception {
    ExtenderArgs args =
        reader.readExtenderArgs(
            Samples.utf8(
                "{\"Pod\":" + WireReaderTest.minimalPod() + ",\"NodeNames\":[\"c\",\"a\",\"b\",\"d\"]}"));
    String full = "full";
    FilterDecision decision =
        new FilterDecision(
            new String[] {null, "cordoned", full, full}, new boolean[] {false, true, false, false}, "");

    String json =
        write(out -> writer.writeFilterResult(args, decision, Unpooled.EMPTY_BUFFER, out));

    assertEquals(
        "{\"Nodes\":null,\"NodeNames\":[\"c\"],\"FailedNodes\":{\"b\":\"full\",\"d\":\"full\"},"
            + "\"FailedAndUnresolvableNodes\":{\"a\":\"cordoned\"},\"Error\":\"\"}",
        json);
  }

  @Test
  void refusesADecisionThatDoesNotCoverTheNodesSent() throws Exception {
    ExtenderArgs args = reader.readExtenderArgs(Samples.utf8(Samples.text("filter-request.json")));
    FilterDecision tooShort = FilterDecision.allPass(2);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                writer.writeFilterResult(args, tooShort, Unpooled.EMPTY_BUFFER, Unpooled.buffer()));
    assertEquals("the filter decision covers 2 nodes but the request sent 3", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> writer.writeHostPriorityList(List.of("a"), new int[] {1, 2}, Unpooled.buffer()));
  }

  @Test
  void writesTheSampleHostPriorityListAndClampsScores() {
    assertEquals(
        Samples.sampleTree("prioritize-response.json"),
        Samples.tree(
            write(
                out -> writer.writeHostPriorityList(List.of("gpu-a100-02"), new int[] {7}, out))));
    assertEquals(
        "[{\"Host\":\"a\",\"Score\":10},{\"Host\":\"b\",\"Score\":0},{\"Host\":\"c\",\"Score\":3}]",
        write(
            out ->
                writer.writeHostPriorityList(List.of("a", "b", "c"), new int[] {15, -2, 3}, out)));
    assertEquals("[]", write(out -> writer.writeHostPriorityList(List.of(), new int[0], out)));
  }

  @Test
  void writesBindingResults() {
    assertEquals(
        Samples.sampleTree("bind-response.json"),
        Samples.tree(write(out -> writer.writeBindingResult("", out))));
    assertEquals("{\"Error\":\"\"}", write(out -> writer.writeBindingResult(null, out)));
    assertEquals(
        "{\"Error\":\"node \\\"x\\\" is gone\\n\"}",
        write(out -> writer.writeBindingResult("node \"x\" is gone\n", out)));
  }

  @Test
  void writesTheSamplePreemptionResult() throws Exception {
    PreemptionArgs args =
        reader.readPreemptionArgs(Samples.utf8(Samples.text("preempt-request.json")));
    String json = write(out -> writer.writePreemptionResult(args, args.victimUidsByNode(), out));
    assertEquals(Samples.sampleTree("preempt-response.json"), Samples.tree(json));
  }

  @Test
  void keepsPreemptionVictimsToThoseOffered() throws Exception {
    String body =
        "{\"Pod\":"
            + WireReaderTest.minimalPod()
            + ",\"NodeNameToMetaVictims\":{"
            + "\"n1\":{\"Pods\":[{\"UID\":\"a\"},{\"UID\":\"b\"}],\"NumPDBViolations\":2},"
            + "\"n2\":{\"Pods\":[{\"UID\":\"c\"}],\"NumPDBViolations\":0},"
            + "\"n3\":{\"Pods\":[{\"UID\":\"d\"}],\"NumPDBViolations\":0},"
            + "\"n4\":{\"Pods\":[{\"UID\":\"e\"}],\"NumPDBViolations\":0}}}";
    PreemptionArgs args = reader.readPreemptionArgs(Samples.utf8(body));
    Map<String, List<String>> accepted = new LinkedHashMap<>();
    accepted.put("n2", List.of("c", "z")); // z was never offered
    accepted.put("n1", List.of("b"));
    accepted.put("n3", List.of("zz")); // only unknown victims: the node is dropped
    accepted.put("ghost", List.of("e"));
    // n4 left out by the decision

    String json = write(out -> writer.writePreemptionResult(args, accepted, out));

    assertEquals(
        "{\"NodeNameToMetaVictims\":{"
            + "\"n1\":{\"Pods\":[{\"UID\":\"b\"}],\"NumPDBViolations\":2},"
            + "\"n2\":{\"Pods\":[{\"UID\":\"c\"}],\"NumPDBViolations\":0}}}",
        json);
  }

  @Test
  void escapesErrorReasons() {
    String reason =
        "malformed JSON at line 1 column 3: Unexpected character ('\"' (code 34))\u0001";
    JsonNode tree = Samples.tree(write(out -> writer.writeError(reason, out)));
    assertEquals(reason, tree.get("Error").asText());
  }

  private static String span(byte[] bytes, ExtenderArgs args, int i) {
    return new String(
        Arrays.copyOfRange(bytes, args.nodeStart(i), args.nodeEnd(i)), StandardCharsets.UTF_8);
  }

  private interface Writing {
    void write(ByteBuf out) throws Exception;
  }

  private static String write(Writing writing) {
    ByteBuf out = Unpooled.directBuffer(8);
    try {
      writing.write(out);
      return out.toString(StandardCharsets.UTF_8);
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      out.release();
    }
  }
}
