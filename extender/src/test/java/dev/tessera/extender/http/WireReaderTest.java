package dev.tessera.extender.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.ClusterSnapshot;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.testing.Nodes;
import dev.tessera.extender.verbs.ExtenderHandler;
import dev.tessera.extender.verbs.WirePod;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class WireReaderTest {
  private final WireReader reader = new WireReader();

  @ParameterizedTest
  @EnumSource(Samples.Shape.class)
  void readsTheSampleFilterRequest(Samples.Shape shape) throws Exception {
    ExtenderArgs args = reader.readExtenderArgs(shape.apply(Samples.bytes("filter-request.json")));

    WirePod pod = args.pod();
    assertEquals(
        new PodKey("team-vision", "train-resnet-worker-1", "5f0c1d2e-7a4b-4c1e-9f3a-1b2c3d4e5f60"),
        pod.key());
    assertEquals(
        Map.of(
            "app", "train-resnet",
            "scheduling.x-k8s.io/pod-group", "train-resnet",
            "project", "vision"),
        pod.labels());
    assertEquals(Map.of("gpu-fraction", "0.5"), pod.annotations());
    assertEquals(Arrays.asList((String) null), pod.gpuQuantities(), "one container, no GPUs");
    assertEquals(List.of(), pod.initGpuQuantities());
    assertEquals(50, pod.priority());
    assertEquals(List.of("gpu-a100-01", "gpu-a100-02", "gpu-h100-01"), args.nodeNames());
    assertFalse(args.fullNodes());
  }

  @Test
  void takesGpuQuantitiesFromLimitsThenRequestsAsWritten() throws Exception {
    String body =
        """
        {"Pod": {"metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
          "spec": {
            "initContainers": [
              {"name": "fetch", "resources": {"requests": {"nvidia.com/gpu": "1"}}}
            ],
            "containers": [
              {"name": "limits", "resources": {"limits": {"cpu": "1", "nvidia.com/gpu": "2"},
                                               "requests": {"nvidia.com/gpu": "3"}}},
              {"name": "requests-only", "resources": {"requests": {"nvidia.com/gpu": "4"}}},
              {"name": "number", "resources": {"limits": {"nvidia.com/gpu": 2}}},
              {"name": "none", "resources": {"limits": {"cpu": "500m"}}},
              {"name": "no-resources"},
              {"name": "decimal", "resources": {"limits": {"nvidia.com/gpu": 1.0}}},
              {"name": "case", "resources": {"limits": {"NVIDIA.com/gpu": "9"}}}
            ]}},
         "NodeNames": ["n1"]}
        """;
    WirePod pod = reader.readExtenderArgs(Samples.utf8(body)).pod();

    assertEquals(
        Arrays.asList("2", "4", "2", null, null, "1.0", null),
        pod.gpuQuantities(),
        "resource names are map keys: matched exactly");
    assertEquals(List.of("1"), pod.initGpuQuantities());
    assertEquals(0, pod.priority(), "absent priority");
  }

  @Test
  void matchesGoFieldNamesCaseInsensitivelyLikeGosDecoder() throws Exception {
    String body =
        """
        {"pod": {"METADATA": {"Name": "p", "NameSpace": "ns", "UID": "u1",
                              "Labels": {"App": "x"}},
                 "Spec": {"Priority": 7,
                          "Containers": [{"Resources": {"Limits": {"nvidia.com/gpu": "1"}}}]}},
         "nodenames": ["n1", "n2"],
         "Unknown": {"deep": [1, {"x": null}]}}
        """;
    ExtenderArgs args = reader.readExtenderArgs(Samples.utf8(body));

    assertEquals(new PodKey("ns", "p", "u1"), args.pod().key());
    assertEquals(Map.of("App", "x"), args.pod().labels(), "label keys keep their case");
    assertEquals(7, args.pod().priority());
    assertEquals(List.of("1"), args.pod().gpuQuantities());
    assertEquals(List.of("n1", "n2"), args.nodeNames());
  }

  @ParameterizedTest
  @EnumSource(Samples.Shape.class)
  void remembersWhereEachFullNodeIsInTheBody(Samples.Shape shape) throws Exception {
    byte[] bytes = Samples.bytes("filter-request-full-nodes.json");
    ByteBuf body = shape.apply(bytes);
    ExtenderArgs args = reader.readExtenderArgs(body);

    assertTrue(args.fullNodes());
    assertEquals(List.of("gpu-a100-01", "gpu-a100-02", "gpu-h100-01"), args.nodeNames());
    JsonNode items =
        Samples.tree(Samples.text("filter-request-full-nodes.json")).at("/Nodes/items");
    for (int i = 0; i < 3; i++) {
      String span =
          new String(
              Arrays.copyOfRange(bytes, args.nodeStart(i), args.nodeEnd(i)),
              StandardCharsets.UTF_8);
      assertTrue(span.startsWith("{") && span.endsWith("}"), span);
      assertEquals(items.get(i), Samples.tree(span), "node " + i + " is its own JSON object");
    }
    assertEquals(List.of("2"), args.pod().gpuQuantities());
  }

  @ParameterizedTest
  @EnumSource(Samples.Shape.class)
  void findsNodeSpansAcrossTheParsersInternalBufferBoundaries(Samples.Shape shape)
      throws Exception {
    StringBuilder json =
        new StringBuilder("{\"Pod\":").append(minimalPod()).append(",\"Nodes\":{\"items\":[");
    for (int i = 0; i < 300; i++) {
      json.append(i == 0 ? "" : ",\n ")
          .append("{\"metadata\":{\"labels\":{\"zone\":\"ü-")
          .append("x".repeat(i % 97))
          .append("\"},\"name\":\"node-")
          .append(i)
          .append("\"},\"status\":{\"allocatable\":{\"nvidia.com/gpu\":\"8\"}}}");
    }
    json.append("]}}");
    byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
    ExtenderArgs args = reader.readExtenderArgs(shape.apply(bytes));

    assertEquals(300, args.nodeNames().size());
    for (int i = 0; i < 300; i++) {
      String span =
          new String(
              Arrays.copyOfRange(bytes, args.nodeStart(i), args.nodeEnd(i)),
              StandardCharsets.UTF_8);
      assertEquals("node-" + i, Samples.tree(span).at("/metadata/name").asText());
    }
  }

  @Test
  void prefersNodeNamesWhenBothFormsAreSent() throws Exception {
    String body =
        "{\"Nodes\":{\"items\":[{\"metadata\":{\"name\":\"a\"}}]},\"Pod\":"
            + minimalPod()
            + ",\"NodeNames\":[\"b\"]}";
    ExtenderArgs args = reader.readExtenderArgs(Samples.utf8(body));

    assertEquals(List.of("b"), args.nodeNames());
    assertFalse(args.fullNodes());
  }

  @Test
  void resolvesNodeNamesInTheHandlersTableAsItReadsThem() throws Exception {
    NodeState known = Nodes.node("gpu-a100-01").gpus(8).empty();
    ClusterSnapshot snapshot = ClusterSnapshot.of(List.of(known), 1);
    WireReader reading = new WireReader(snapshot::requestedNodes);
    String body =
        "{\"Pod\":" + minimalPod() + ",\"NodeNames\":[\"gpu-a100-01\",\"gpu-\\u0061100-01\",\"other\"]}";

    RequestedNodes nodes = reading.readExtenderArgs(Samples.utf8(body)).nodes();

    assertEquals(List.of("gpu-a100-01", "gpu-a100-01", "other"), nodes.names());
    assertSame(known.name(), nodes.name(0), "a known name is the table's own String");
    assertSame(known.name(), nodes.name(1), "an escaped spelling of a known name is still that name");
    assertSame(known, snapshot.node(nodes, 0));
    assertSame(known, snapshot.node(nodes, 1));
    assertNull(snapshot.node(nodes, 2));
  }

  @Test
  void readsTheSampleBindingArgs() throws Exception {
    ExtenderHandler.BindRequest bind =
        reader.readBindingArgs(Samples.Shape.DIRECT.apply(Samples.bytes("bind-request.json")));

    assertEquals(
        new ExtenderHandler.BindRequest(
            "train-resnet-worker-1",
            "team-vision",
            "5f0c1d2e-7a4b-4c1e-9f3a-1b2c3d4e5f60",
            "gpu-a100-02"),
        bind);
  }

  @Test
  void readsMetaVictims() throws Exception {
    PreemptionArgs args =
        reader.readPreemptionArgs(Samples.Shape.HEAP.apply(Samples.bytes("preempt-request.json")));

    assertEquals("train-resnet-worker-1", args.pod().key().name());
    assertEquals(
        Map.of("gpu-a100-01", List.of("0aa1b2c3-0000-4000-8000-000000000001")),
        args.victimUidsByNode());
    assertEquals(Map.of("gpu-a100-01", 0L), args.pdbViolationsByNode());
  }

  @Test
  void readsVictimsSentAsWholePodsByTheirUid() throws Exception {
    String body =
        "{\"Pod\":"
            + minimalPod()
            + ",\"NodeNameToMetaVictims\":null,\"NodeNameToVictims\":{"
            + "\"n1\":{\"Pods\":["
            + podWithUid("v1")
            + ","
            + podWithUid("v2")
            + "],\"NumPDBViolations\":1},"
            + "\"n2\":{\"Pods\":["
            + podWithUid("v3")
            + "],\"NumPDBViolations\":0}}}";
    PreemptionArgs args = reader.readPreemptionArgs(Samples.utf8(body));

    assertEquals(Map.of("n1", List.of("v1", "v2"), "n2", List.of("v3")), args.victimUidsByNode());
    assertEquals(List.of("n1", "n2"), List.copyOf(args.victimUidsByNode().keySet()), "order kept");
    assertEquals(Map.of("n1", 1L, "n2", 0L), args.pdbViolationsByNode());
  }

  static Stream<Arguments> badBodies() {
    String pod = minimalPod();
    return Stream.of(
        Arguments.of("", "request body is empty; expected ExtenderArgs JSON"),
        Arguments.of(
            "   ", "request body must be a JSON object (ExtenderArgs), not the end of the body"),
        Arguments.of("[]", "request body must be a JSON object (ExtenderArgs), not an array"),
        Arguments.of("null", "request body must be a JSON object (ExtenderArgs), not null"),
        Arguments.of(
            "{\"Pod\": {\"metadata\": }",
            "malformed JSON at line 1 column 22: Unexpected character ('}' (code 125)): expected a"
                + " value"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"NodeNames\":5}",
            "NodeNames must be an array of strings, not a number"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"NodeNames\":[\"a\",7]}",
            "NodeNames must be an array of strings; NodeNames[1] is a number"),
        Arguments.of("{\"Pod\":[],\"NodeNames\":[]}", "Pod must be a v1.Pod object, not an array"),
        Arguments.of("{\"NodeNames\":[\"a\"]}", "Pod is missing"),
        Arguments.of("{\"Pod\":null,\"NodeNames\":[\"a\"]}", "Pod is missing"),
        Arguments.of(
            "{\"Pod\":" + pod + "}",
            "neither NodeNames nor Nodes is set; kube-scheduler sends one of them"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"}},\"NodeNames\":[]}",
            "Pod.metadata.uid is missing"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"uid\":\"u\"}},\"NodeNames\":[]}",
            "Pod.metadata.namespace is missing"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":7,\"namespace\":\"ns\",\"uid\":\"u\"}},\"NodeNames\":[]}",
            "Pod.metadata.name must be a string, not a number"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\",\"labels\":{\"a\":1}}},\"NodeNames\":[]}",
            "Pod.metadata.labels[\"a\"] must be a string, not a number"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{\"priority\":\"high\"}},\"NodeNames\":[]}",
            "Pod.spec.priority must be an integer, not a string"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{\"priority\":3000000000}},\"NodeNames\":[]}",
            "Pod.spec.priority is 3000000000, outside -2147483648..2147483647"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{\"containers\":{}}},\"NodeNames\":[]}",
            "Pod.spec.containers must be an array of containers, not an object"),
        Arguments.of(
            "{\"Pod\":{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"nvidia.com/gpu\":true}}}]}},\"NodeNames\":[]}",
            "Pod.spec.containers[0].resources.limits[\"nvidia.com/gpu\"] must be a quantity (a"
                + " string such as \"2\" or a number), not a boolean"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"Nodes\":[]}",
            "Nodes must be a v1.NodeList object, not an array"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"Nodes\":{\"items\":[{\"metadata\":{}}]}}",
            "Nodes.items[0].metadata.name is missing"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"Nodes\":{\"items\":[{\"metadata\":{\"name\":\"a\"}}, 3]}}",
            "Nodes.items[1] must be a v1.Node object, not a number"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"NodeNames\":[]} {}",
            "request body has an object after the ExtenderArgs object at line 1 column 77"),
        Arguments.of(
            "{\"Pod\":" + pod + ",\"NodeNames\":[]} x",
            "malformed JSON at line 1 column 77: Unrecognized token 'x': was expecting (JSON"
                + " String, Number, Array, Object or token 'null', 'true' or 'false')"),
        Arguments.of(
            "{\"Pod\": {\"metadata\": {\"name\": \"p",
            "malformed JSON at line 1 column 33: Unexpected end-of-input in VALUE_STRING"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badBodies")
  void refusesBadExtenderArgsWithASpecificReason(String body, String reason) {
    BadRequestException e =
        assertThrows(BadRequestException.class, () -> reader.readExtenderArgs(Samples.utf8(body)));
    assertEquals(reason, e.getMessage());
  }

  @Test
  void refusesBodiesThatAreNotUtf8() {
    // Only values the extender reads are decoded, so the bad byte sits in a node name.
    byte[] body =
        ("{\"Pod\":" + minimalPod() + ",\"NodeNames\":[\"caf\u00e9\"]}")
            .getBytes(StandardCharsets.ISO_8859_1);
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () -> reader.readExtenderArgs(Samples.Shape.HEAP.apply(body)));
    assertTrue(
        e.getMessage().startsWith("malformed JSON at line 1 column 80: Invalid UTF-8"),
        e.getMessage());
  }

  @Test
  void refusesDeeplyNestedBodies() {
    String body = "{\"Pod\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    BadRequestException e =
        assertThrows(BadRequestException.class, () -> reader.readExtenderArgs(Samples.utf8(body)));
    assertTrue(
        e.getMessage().startsWith("Pod must be a v1.Pod object")
            || e.getMessage().startsWith("request JSON exceeds a parser limit"),
        e.getMessage());
    String skipped = "{\"X\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    BadRequestException deep =
        assertThrows(
            BadRequestException.class, () -> reader.readExtenderArgs(Samples.utf8(skipped)));
    assertTrue(
        deep.getMessage().startsWith("request JSON exceeds a parser limit"), deep.getMessage());
  }

  @Test
  void refusesIncompleteBindingArgs() {
    BadRequestException e =
        assertThrows(
            BadRequestException.class,
            () ->
                reader.readBindingArgs(
                    Samples.utf8("{\"PodName\":\"p\",\"PodNamespace\":\"ns\",\"Node\":\"n\"}")));
    assertEquals("PodUID is missing", e.getMessage());
    BadRequestException type =
        assertThrows(
            BadRequestException.class,
            () -> reader.readBindingArgs(Samples.utf8("{\"PodName\":[\"p\"]}")));
    assertEquals("PodName must be a string, not an array", type.getMessage());
  }

  @Test
  void refusesVictimsWithoutUids() {
    String body =
        "{\"Pod\":"
            + minimalPod()
            + ",\"NodeNameToMetaVictims\":{\"n1\":{\"Pods\":[{\"uid\":\"a\"},{}]}}}";
    BadRequestException e =
        assertThrows(
            BadRequestException.class, () -> reader.readPreemptionArgs(Samples.utf8(body)));
    assertEquals("NodeNameToMetaVictims[\"n1\"].Pods[1].UID is missing", e.getMessage());
  }

  @Test
  void nodeSpansAreTwoOffsetsPerNode() throws Exception {
    ExtenderArgs args =
        reader.readExtenderArgs(
            Samples.utf8(
                "{\"Pod\":"
                    + minimalPod()
                    + ",\"Nodes\":{\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}}"));
    assertEquals(4, args.nodeSpans().length);
    assertArrayEquals(
        new int[] {args.nodeStart(0), args.nodeEnd(0), args.nodeStart(1), args.nodeEnd(1)},
        args.nodeSpans());
    assertNull(
        reader
            .readExtenderArgs(Samples.utf8("{\"Pod\":" + minimalPod() + ",\"NodeNames\":[]}"))
            .nodeSpans());
  }

  static String minimalPod() {
    return "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"}}";
  }

  static String podWithUid(String uid) {
    return "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"victim-"
        + uid
        + "\",\"namespace\":\"other\",\"uid\":\""
        + uid
        + "\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]},"
        + "\"status\":{\"phase\":\"Running\"}}";
  }
}
