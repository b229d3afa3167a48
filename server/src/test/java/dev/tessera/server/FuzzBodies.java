package dev.tessera.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Request bodies for the four verbs, each a valid body bent out of shape by a seeded series of
 * mutations: bytes flipped, bodies cut short, strings swapped for names the API server could never
 * hold (NUL, lone surrogates, 10,000 characters, upper case, paths), values of the wrong type,
 * nesting thousands deep, node lists of tens of thousands, duplicated keys, bytes that are not
 * UTF-8. The same seed gives the same bodies.
 */
final class FuzzBodies {
  /** One generated request: where it goes and what it carries. */
  record Body(String verb, byte[] bytes, String mutations) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] VERBS = {"filter", "prioritize", "bind", "preempt"};
  /** Strings that a name, namespace, UID or annotation might be replaced with. */
  private static final String[] STRINGS = {
      "", "\u0000", "p\u0000q", "\ud800", "x\udfff", "p".repeat(10_000), "P", "Upper-Case", "a/b", "../../etc",
      "-lead", "trail-", "a..b", "a.b", "ns", "team", "default", "x y", "\t", "ünïcødé", "🙂", "%2F", "?x=1", "#frag",
      "0.5", "1.5", "-1", "NaN", "1e309", "999999999999999999999", "true", "null", "{}", "[]", "\\", "\"",
      "a".repeat(63), "a".repeat(64), "a".repeat(253), "a".repeat(254), "node-1", "gpu-node-00042",
  };

  private final Random random;
  private final Map<String, JsonNode> valid;

  /** @param valid a valid body per verb, the starting point of every mutation */
  FuzzBodies(long seed, Map<String, JsonNode> valid) {
    this.random = new Random(seed);
    this.valid = valid;
  }

  Body next() {
    String verb = VERBS[random.nextInt(VERBS.length)];
    JsonNode tree = valid.get(verb).deepCopy();
    List<String> applied = new ArrayList<>();
    int treeMutations = 1 + random.nextInt(3);
    for (int i = 0; i < treeMutations; i++) {
      applied.add(mutateTree(tree));
    }
    byte[] bytes = withNesting(tree.toString()).getBytes(StandardCharsets.UTF_8);
    if (random.nextInt(4) == 0) {
      Mangled mangled = mutateBytes(bytes);
      bytes = mangled.bytes();
      applied.add(mangled.how());
    }
    return new Body(verb, bytes, String.join(", ", applied));
  }

  private record Mangled(byte[] bytes, String how) {}

  private static final String DEEP_MARKER = "__nested_arrays__";
  private static final Pattern DEEP = Pattern.compile("\"" + DEEP_MARKER + "(\\d+)\"");

  /** Replaces each nesting marker with that many arrays around a string. */
  private static String withNesting(String json) {
    Matcher m = DEEP.matcher(json);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int depth = Integer.parseInt(m.group(1));
      m.appendReplacement(out, "[".repeat(depth) + "\"bottom\"" + "]".repeat(depth));
    }
    m.appendTail(out);
    return out.toString();
  }

  private String mutateTree(JsonNode root) {
    List<ContainerSlot> slots = new ArrayList<>();
    collect(root, slots, 0);
    if (slots.isEmpty()) {
      return "none";
    }
    ContainerSlot slot = slots.get(random.nextInt(slots.size()));
    switch (random.nextInt(7)) {
      case 0, 1 -> {
        String s = STRINGS[random.nextInt(STRINGS.length)];
        slot.set(JsonNodeFactory.instance.textNode(s));
        return "string at " + slot.path;
      }
      case 2 -> {
        JsonNode wrong = switch (random.nextInt(5)) {
          case 0 -> JsonNodeFactory.instance.numberNode(random.nextInt());
          case 1 -> JsonNodeFactory.instance.arrayNode();
          case 2 -> JsonNodeFactory.instance.objectNode();
          case 3 -> JsonNodeFactory.instance.nullNode();
          default -> JsonNodeFactory.instance.booleanNode(random.nextBoolean());
        };
        slot.set(wrong);
        return "wrong type at " + slot.path;
      }
      case 3 -> {
        // Jackson will not write such nesting itself: a marker is replaced in the text instead.
        int depth = 1 + random.nextInt(3_000);
        slot.set(JsonNodeFactory.instance.textNode(DEEP_MARKER + depth));
        return "nested " + depth + " deep at " + slot.path;
      }
      case 4 -> {
        ArrayNode many = JsonNodeFactory.instance.arrayNode();
        int count = random.nextInt(60_000);
        for (int n = 0; n < count; n++) {
          many.add("node-" + n);
        }
        slot.set(many);
        return count + " names at " + slot.path;
      }
      case 5 -> {
        slot.remove();
        return "removed " + slot.path;
      }
      default -> {
        if (root instanceof ObjectNode object) {
          object.put("PodName", STRINGS[random.nextInt(STRINGS.length)]);
          object.put("pod", "x"); // a lower-case twin of a field the reader matches without case
        }
        return "extra fields";
      }
    }
  }

  private Mangled mutateBytes(byte[] bytes) {
    switch (random.nextInt(4)) {
      case 0 -> {
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips && bytes.length > 0; i++) {
          bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        return new Mangled(bytes, flips + " bytes flipped");
      }
      case 1 -> {
        int keep = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
        return new Mangled(java.util.Arrays.copyOf(bytes, keep), "cut to " + keep + " bytes");
      }
      case 2 -> {
        byte[] garbage = new byte[random.nextInt(512)];
        random.nextBytes(garbage);
        return new Mangled(garbage, garbage.length + " random bytes");
      }
      default -> {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int at = text.isEmpty() ? 0 : random.nextInt(text.length());
        String spliced = text.substring(0, at) + "\"\\u" + Integer.toHexString(0xd800 + random.nextInt(0x800))
            + "\"," + text.substring(at);
        return new Mangled(spliced.getBytes(StandardCharsets.UTF_8), "escaped surrogate spliced in at " + at);
      }
    }
  }

  /** A place in the tree that holds a value: an object's field or an array's element. */
  private static final class ContainerSlot {
    final JsonNode container;
    final String field;
    final int index;
    final String path;

    ContainerSlot(JsonNode container, String field, int index, String path) {
      this.container = container;
      this.field = field;
      this.index = index;
      this.path = path;
    }

    void set(JsonNode value) {
      if (container instanceof ObjectNode object) {
        object.set(field, value);
      } else {
        ((ArrayNode) container).set(index, value);
      }
    }

    void remove() {
      if (container instanceof ObjectNode object) {
        object.remove(field);
      } else {
        ((ArrayNode) container).remove(index);
      }
    }
  }

  private static void collect(JsonNode node, List<ContainerSlot> slots, int depth) {
    if (depth > 12) {
      return;
    }
    if (node instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        slots.add(new ContainerSlot(object, field.getKey(), -1, field.getKey()));
        collect(field.getValue(), slots, depth + 1);
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size() && i < 8; i++) {
        slots.add(new ContainerSlot(array, null, i, "[" + i + "]"));
        collect(array.get(i), slots, depth + 1);
      }
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
