package dev.tessera.agent.deviceplugin;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.tessera.agent.deviceplugin.GpuAssignment.AssignedGpu;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Reads the extender's {@value PodAnnotations#GPU_ASSIGNMENT} annotation, version 1, strictly.
 *
 * <p>The contract is written on the extender's {@code AssignmentCodec}; the agent reads it without
 * depending on the extender module:
 *
 * <pre>{@code
 * {"version": 1, "node": "gpu-a100-01", "exclusive": false,
 *  "gpus": [{"index": 3, "uuid": "GPU-8f6c…", "memoryMiB": 40960, "memoryBytes": 42949672960,
 *            "fraction": 0.5, "limitMiB": 61440, "limitBytes": 64424509440}]}
 * }</pre>
 *
 * {@code version} must be 1; {@code node} (non-empty string), {@code exclusive} (boolean) and
 * {@code gpus} (1 to 64 objects, each index at most once) are required; per GPU {@code index}
 * (0..63), {@code memoryMiB}, {@code memoryBytes} (= memoryMiB × 1048576) and {@code fraction} (0 <
 * f ≤ 1, exactly 1 when exclusive) are required, {@code uuid} (non-empty string) is optional.
 * {@code limitMiB} and {@code limitBytes} (= limitMiB × 1048576, at least the memory) come together
 * or not at all, only on shared GPUs: a dynamic fraction, which may borrow up to the limit.
 * Unknown fields are ignored, as the contract allows; duplicate keys, trailing content and wrong
 * types are errors. {@link #read} never throws on bad text.
 */
public final class AssignmentReader {
  public static final int VERSION = 1;
  static final int MAX_GPUS = 64;
  private static final long MIB = 1024L * 1024;
  // The extender's cap on one GPU's memory (16 TiB), so memoryMiB * MIB cannot overflow.
  private static final long MAX_MEMORY_MIB = 16L * 1024 * 1024;

  // Immutable; ObjectReader is thread-safe.
  private static final ObjectReader READER =
      new ObjectMapper()
          .reader()
          .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private AssignmentReader() {}

  /** The outcome of {@link #read}: the assignment, or what is wrong with the text. */
  public sealed interface Result {
    record Ok(GpuAssignment assignment) implements Result {
      public Ok {
        Objects.requireNonNull(assignment, "assignment");
      }
    }

    record Invalid(String reason) implements Result {
      public Invalid {
        Objects.requireNonNull(reason, "reason");
      }
    }
  }

  public static Result read(String text) {
    if (text == null || text.isBlank()) {
      return new Result.Invalid("the annotation is empty");
    }
    JsonNode root;
    try {
      root = READER.readTree(text);
    } catch (JsonProcessingException e) {
      return new Result.Invalid("not valid JSON: " + e.getOriginalMessage());
    } catch (RuntimeException e) {
      return new Result.Invalid("not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      return new Result.Invalid("expected a JSON object");
    }
    try {
      return new Result.Ok(assignment(root));
    } catch (BadField e) {
      return new Result.Invalid(e.getMessage());
    }
  }

  private static GpuAssignment assignment(JsonNode root) throws BadField {
    JsonNode version = required(root, "version", "");
    if (!version.isIntegralNumber() || !version.canConvertToInt() || version.intValue() != VERSION) {
      throw new BadField(
          "version " + version + " is not supported; this node agent reads version " + VERSION
              + " (is the agent older than the extender?)");
    }
    JsonNode node = required(root, "node", "");
    if (!node.isTextual() || node.textValue().isEmpty()) {
      throw new BadField("node must be a non-empty string, was " + node);
    }
    JsonNode exclusive = required(root, "exclusive", "");
    if (!exclusive.isBoolean()) {
      throw new BadField("exclusive must be true or false, was " + exclusive);
    }
    JsonNode gpus = required(root, "gpus", "");
    if (!gpus.isArray() || gpus.isEmpty() || gpus.size() > MAX_GPUS) {
      throw new BadField("gpus must be an array of 1 to " + MAX_GPUS + " GPUs, was " + gpus);
    }
    List<AssignedGpu> assigned = new ArrayList<>(gpus.size());
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < gpus.size(); i++) {
      assigned.add(gpu(gpus.get(i), "gpus[" + i + "].", exclusive.booleanValue(), seen));
    }
    return new GpuAssignment(node.textValue(), exclusive.booleanValue(), assigned);
  }

  private static AssignedGpu gpu(JsonNode gpu, String at, boolean exclusive, Set<Long> seen) throws BadField {
    if (!gpu.isObject()) {
      throw new BadField(at + " must be an object, was " + gpu);
    }
    long index = wholeNumber(gpu, "index", at);
    if (index >= MAX_GPUS) {
      throw new BadField(at + "index " + index + " is not a GPU index (0.." + (MAX_GPUS - 1) + ")");
    }
    if (!seen.add(index)) {
      throw new BadField("GPU index " + index + " appears more than once");
    }
    String uuid = null;
    JsonNode uuidNode = gpu.get("uuid");
    if (uuidNode != null && !uuidNode.isNull()) {
      if (!uuidNode.isTextual() || uuidNode.textValue().isEmpty()) {
        throw new BadField(at + "uuid must be a non-empty string when present, was " + uuidNode);
      }
      uuid = uuidNode.textValue();
    }
    long memoryMiB = wholeNumber(gpu, "memoryMiB", at);
    if (memoryMiB > MAX_MEMORY_MIB) {
      throw new BadField(at + "memoryMiB " + memoryMiB + " is larger than any GPU");
    }
    long memoryBytes = wholeNumber(gpu, "memoryBytes", at);
    if (memoryBytes != memoryMiB * MIB) {
      throw new BadField(at + "memoryBytes " + memoryBytes + " is not memoryMiB " + memoryMiB + " * 1048576");
    }
    JsonNode fractionNode = required(gpu, "fraction", at);
    if (!fractionNode.isNumber()) {
      throw new BadField(at + "fraction must be a number, was " + fractionNode);
    }
    double fraction = fractionNode.doubleValue();
    if (!(fraction > 0 && fraction <= 1)) {
      throw new BadField(at + "fraction must be in (0, 1], was " + fraction);
    }
    if (exclusive && fraction != 1.0) {
      throw new BadField(at + "fraction is " + fraction + " in an exclusive assignment (must be 1)");
    }
    return new AssignedGpu((int) index, uuid, memoryBytes, limitBytes(gpu, at, exclusive, memoryMiB), fraction);
  }

  /** The optional loan limit; without one the pod may use exactly its memory. */
  private static long limitBytes(JsonNode gpu, String at, boolean exclusive, long memoryMiB) throws BadField {
    boolean hasMiB = gpu.hasNonNull("limitMiB");
    boolean hasBytes = gpu.hasNonNull("limitBytes");
    if (!hasMiB && !hasBytes) {
      return memoryMiB * MIB;
    }
    if (hasMiB != hasBytes) {
      throw new BadField(at + "limitMiB and limitBytes come together; only " + (hasMiB ? "limitMiB" : "limitBytes") + " is set");
    }
    if (exclusive) {
      throw new BadField(at + "an exclusive assignment has no memory limit to borrow up to");
    }
    long limitMiB = wholeNumber(gpu, "limitMiB", at);
    if (limitMiB > MAX_MEMORY_MIB) {
      throw new BadField(at + "limitMiB " + limitMiB + " is larger than any GPU");
    }
    if (limitMiB < memoryMiB) {
      throw new BadField(at + "limitMiB " + limitMiB + " is below memoryMiB " + memoryMiB);
    }
    long limitBytes = wholeNumber(gpu, "limitBytes", at);
    if (limitBytes != limitMiB * MIB) {
      throw new BadField(at + "limitBytes " + limitBytes + " is not limitMiB " + limitMiB + " * 1048576");
    }
    return limitBytes;
  }

  private static JsonNode required(JsonNode parent, String field, String at) throws BadField {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      throw new BadField(at + field + " is missing");
    }
    return value;
  }

  private static long wholeNumber(JsonNode parent, String field, String at) throws BadField {
    JsonNode value = required(parent, field, at);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new BadField(at + field + " must be a whole number, was " + value);
    }
    long number = value.longValue();
    if (number < 0) {
      throw new BadField(at + field + " " + number + " is negative");
    }
    return number;
  }

  /** Internal control flow of {@link #read}; never escapes it. */
  private static final class BadField extends Exception {
    BadField(String message) {
      super(message, null, false, false);
    }
  }
}
