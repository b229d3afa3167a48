package dev.tessera.api.assignment;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Writes and reads the annotation {@value WellKnown#GPU_ASSIGNMENT}: which GPUs of its node a pod
 * holds. The extender writes it on the Binding (so it lands on the pod in the same update that
 * sets {@code spec.nodeName}); the node agent reads it when the container starts; the extender
 * reads it back to rebuild its ledger after a restart.
 *
 * <h2>Format, version 1</h2>
 *
 * <pre>{@code
 * {
 *   "version": 1,
 *   "node": "gpu-a100-01",
 *   "exclusive": false,
 *   "gpus": [
 *     {"index": 3, "uuid": "GPU-8f6c…", "memoryMiB": 40960, "memoryBytes": 42949672960,
 *      "limitMiB": 65536, "limitBytes": 68719476736, "fraction": 0.5}
 *   ]
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code version} (integer, required): 1. Readers refuse any other version.
 *   <li>{@code node} (string, required, non-empty): the node the pod was bound to. A pod whose
 *       {@code spec.nodeName} differs does not hold these GPUs.
 *   <li>{@code exclusive} (boolean, required): true when the pod holds whole GPUs (every
 *       {@code fraction} is then 1.0); false when it shares them with other pods.
 *   <li>{@code gpus} (array, required, 1 to {@value WellKnown#MAX_GPUS_PER_NODE} entries, each {@code index}
 *       at most once), each with:
 *       <ul>
 *         <li>{@code index} (integer, 0..63): the GPU's position on the node, as NVML and
 *             {@code NVIDIA_VISIBLE_DEVICES} number it.
 *         <li>{@code uuid} (string): the GPU's NVML UUID; <em>omitted</em> while the extender knows
 *             the node only from its labels. The agent then maps {@code index} to the device.
 *         <li>{@code memoryMiB} (integer, &ge; 0): memory the pod holds on this GPU (its request,
 *             guaranteed), in MiB (2^20 bytes); the whole GPU's memory for an exclusive
 *             assignment, 0 when unknown.
 *         <li>{@code memoryBytes} (integer): the same in bytes, always {@code memoryMiB *
 *             1048576}; the pod's guaranteed memory, and what the native library enforces when
 *             there is no {@code limitBytes}.
 *         <li>{@code limitMiB} and {@code limitBytes} (integers, optional, both or neither):
 *             present only for a dynamic fraction ({@code gpu-fraction-limit}, {@code
 *             gpu-memory-limit}), and then {@code limitMiB > memoryMiB} (readers also accept
 *             equal, meaning no loan) and {@code limitBytes = limitMiB * 1048576}. The pod may
 *             use up to {@code limitBytes} while the GPU has room; what it uses above {@code
 *             memoryBytes} is on loan, and the agent takes it back when
 *             another tenant needs its own {@code memoryBytes}. An agent that ignores them
 *             enforces {@code memoryBytes} as the limit, which is safe: the pod gets its request,
 *             only without the loan. Never present in an exclusive assignment. Placement counts
 *             only {@code memoryMiB}.
 *         <li>{@code fraction} (number, 0 &lt; f &le; 1): the pod's share of the GPU.
 *         <li>{@code computeShare} (integer 0..100, optional, never in an exclusive assignment): the
 *             percent of the GPU's compute placement counted for the pod, which the native library
 *             guarantees it while other tenants want the GPU; 0 when the pod opted out of pacing
 *             ({@code tessera.dev/compute-share: none}). Absent (assignments from before compute
 *             shares were counted): the share of {@code fraction}, see {@link ComputeShares}.
 *         <li>{@code swapMiB} (integer, optional, at most {@code memoryMiB}, never in an exclusive
 *             assignment): how much of {@code memoryMiB} placement counted on the node's GPU memory
 *             swap (host memory lent to the GPUs) because the GPU had no room for it; the pod opted
 *             in with {@code tessera.dev/gpu-swap: "true"}. Absent or 0: placed without swap.
 *       </ul>
 * </ul>
 *
 * <p>Readers ignore fields they do not know, so later writers may add optional fields without a
 * new version; a change in meaning of an existing field needs version 2. Duplicate keys, trailing
 * content and wrong types are errors. {@link #decode} never throws on bad text: it returns a
 * {@link Decoded.Invalid} with the specific {@link Problem}.
 */
public final class AssignmentCodec {
  public static final int VERSION = 1;


  private static final long MIB = 1024L * 1024;

  // Immutable after construction; ObjectMapper and ObjectReader are thread-safe.
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ObjectReader READER =
      MAPPER
          .reader()
          .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private AssignmentCodec() {}

  /** What is wrong with an annotation that could not be decoded. */
  public enum Problem {
    /** Not JSON, not a JSON object, duplicate keys, or trailing content. */
    MALFORMED_JSON,
    /** {@code version} is not {@value #VERSION}. */
    UNKNOWN_VERSION,
    /** A required field is absent or null. */
    MISSING_FIELD,
    /** A field has the wrong JSON type (a string for a number, a fraction for an integer...). */
    WRONG_TYPE,
    /** A number that must not be negative is. */
    NEGATIVE_VALUE,
    /** A number or list is out of its allowed range (index &ge; 64, fraction &gt; 1, no GPUs...). */
    OUT_OF_RANGE,
    /** Two entries name the same GPU index. */
    DUPLICATE_INDEX,
    /**
     * Fields disagree: {@code memoryBytes} is not {@code memoryMiB * 1048576} (or {@code
     * limitBytes} not {@code limitMiB * 1048576}), {@code limitMiB} is below {@code memoryMiB}, or
     * an exclusive assignment has a fraction below 1 or a limit.
     */
    INCONSISTENT
  }

  /** The outcome of {@link #decode}: the assignment, or why there is none. */
  public sealed interface Decoded {
    record Ok(GpuAssignment assignment) implements Decoded {
      public Ok {
        Objects.requireNonNull(assignment, "assignment");
      }
    }

    record Invalid(Problem problem, String message) implements Decoded {
      public Invalid {
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(message, "message");
      }
    }
  }

  /** The annotation value for this assignment (compact JSON, fields in the documented order). */
  public static String encode(GpuAssignment assignment) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("version", VERSION);
    root.put("node", assignment.node());
    root.put("exclusive", assignment.exclusive());
    ArrayNode gpus = root.putArray("gpus");
    for (GpuShare share : assignment.shares()) {
      ObjectNode gpu = gpus.addObject();
      gpu.put("index", share.index());
      if (share.uuid() != null) {
        gpu.put("uuid", share.uuid());
      }
      gpu.put("memoryMiB", share.memoryMiB());
      gpu.put("memoryBytes", Math.multiplyExact(share.memoryMiB(), MIB));
      if (share.borrows()) {
        // Only dynamic fractions carry a limit, so every other assignment reads as it always did.
        gpu.put("limitMiB", share.limitMiB());
        gpu.put("limitBytes", Math.multiplyExact(share.limitMiB(), MIB));
      }
      gpu.put("fraction", share.fraction());
      // Optional, so assignments without them read as they always did.
      if (share.computeShare() != GpuShare.UNSET) {
        gpu.put("computeShare", share.computeShare());
      }
      if (share.swapMiB() > 0) {
        gpu.put("swapMiB", share.swapMiB());
      }
    }
    try {
      return MAPPER.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e); // cannot happen
    }
  }

  /** Reads an annotation value strictly; never throws on bad text. */
  public static Decoded decode(String text) {
    if (text == null || text.isBlank()) {
      return invalid(Problem.MALFORMED_JSON, "the annotation is empty");
    }
    JsonNode root;
    try {
      root = READER.readTree(text);
    } catch (JsonProcessingException e) {
      return invalid(Problem.MALFORMED_JSON, "not valid JSON: " + e.getOriginalMessage());
    } catch (RuntimeException e) {
      return invalid(Problem.MALFORMED_JSON, "not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      return invalid(Problem.MALFORMED_JSON, "expected a JSON object");
    }
    try {
      return new Decoded.Ok(read(root));
    } catch (DecodeException e) {
      return invalid(e.problem, e.getMessage());
    }
  }

  private static GpuAssignment read(JsonNode root) throws DecodeException {
    JsonNode version = required(root, "version", "");
    if (!version.isIntegralNumber()) {
      throw new DecodeException(Problem.WRONG_TYPE, "version must be an integer, was " + version);
    }
    if (!version.canConvertToInt() || version.intValue() != VERSION) {
      throw new DecodeException(
          Problem.UNKNOWN_VERSION,
          "version " + version + " is not supported; this build of Tessera reads version " + VERSION
              + " (is it older than the extender that wrote it?)");
    }
    JsonNode node = required(root, "node", "");
    if (!node.isTextual()) {
      throw new DecodeException(Problem.WRONG_TYPE, "node must be a string, was " + node);
    }
    if (node.textValue().isEmpty()) {
      throw new DecodeException(Problem.MISSING_FIELD, "node is empty");
    }
    JsonNode exclusive = required(root, "exclusive", "");
    if (!exclusive.isBoolean()) {
      throw new DecodeException(Problem.WRONG_TYPE, "exclusive must be true or false, was " + exclusive);
    }
    JsonNode gpus = required(root, "gpus", "");
    if (!gpus.isArray()) {
      throw new DecodeException(Problem.WRONG_TYPE, "gpus must be an array, was " + gpus.getNodeType());
    }
    if (gpus.isEmpty()) {
      throw new DecodeException(Problem.OUT_OF_RANGE, "gpus is empty; an assignment holds at least one GPU");
    }
    if (gpus.size() > WellKnown.MAX_GPUS_PER_NODE) {
      throw new DecodeException(
          Problem.OUT_OF_RANGE, "gpus has " + gpus.size() + " entries; at most " + WellKnown.MAX_GPUS_PER_NODE);
    }
    List<GpuShare> shares = new ArrayList<>(gpus.size());
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < gpus.size(); i++) {
      JsonNode gpu = gpus.get(i);
      String at = "gpus[" + i + "].";
      if (!gpu.isObject()) {
        throw new DecodeException(Problem.WRONG_TYPE, "gpus[" + i + "] must be an object");
      }
      long index = wholeNumber(gpu, "index", at);
      if (index >= WellKnown.MAX_GPUS_PER_NODE) {
        throw new DecodeException(
            Problem.OUT_OF_RANGE, at + "index " + index + " is not a GPU index (0.." + (WellKnown.MAX_GPUS_PER_NODE - 1) + ")");
      }
      if (!seen.add((int) index)) {
        throw new DecodeException(Problem.DUPLICATE_INDEX, "GPU index " + index + " appears more than once");
      }
      String uuid = null;
      JsonNode uuidNode = gpu.get("uuid");
      if (uuidNode != null && !uuidNode.isNull()) {
        if (!uuidNode.isTextual()) {
          throw new DecodeException(Problem.WRONG_TYPE, at + "uuid must be a string, was " + uuidNode);
        }
        if (uuidNode.textValue().isEmpty()) {
          throw new DecodeException(Problem.MISSING_FIELD, at + "uuid is empty; omit it when unknown");
        }
        uuid = uuidNode.textValue();
      }
      long memoryMiB = wholeNumber(gpu, "memoryMiB", at);
      if (memoryMiB > WellKnown.MAX_GPU_MEMORY_MIB) {
        throw new DecodeException(
            Problem.OUT_OF_RANGE, at + "memoryMiB " + memoryMiB + " is larger than any GPU");
      }
      long memoryBytes = wholeNumber(gpu, "memoryBytes", at);
      if (memoryBytes != memoryMiB * MIB) {
        throw new DecodeException(
            Problem.INCONSISTENT,
            at + "memoryBytes " + memoryBytes + " is not memoryMiB " + memoryMiB + " * 1048576");
      }
      long limitMiB = limitMiB(gpu, at, memoryMiB);
      JsonNode fractionNode = required(gpu, "fraction", at);
      if (!fractionNode.isNumber()) {
        throw new DecodeException(Problem.WRONG_TYPE, at + "fraction must be a number, was " + fractionNode);
      }
      double fraction = fractionNode.doubleValue();
      if (fraction < 0) {
        throw new DecodeException(Problem.NEGATIVE_VALUE, at + "fraction " + fraction + " is negative");
      }
      if (!(fraction > 0 && fraction <= 1)) {
        throw new DecodeException(Problem.OUT_OF_RANGE, at + "fraction must be in (0, 1], was " + fraction);
      }
      if (exclusive.booleanValue() && fraction != 1.0) {
        throw new DecodeException(
            Problem.INCONSISTENT, at + "fraction is " + fraction + " in an exclusive assignment (must be 1)");
      }
      if (exclusive.booleanValue() && limitMiB != memoryMiB) {
        throw new DecodeException(
            Problem.INCONSISTENT, at + "limitMiB is set in an exclusive assignment (whole GPUs have no loan)");
      }
      int computeShare = GpuShare.UNSET;
      if (present(gpu, "computeShare")) {
        long percent = wholeNumber(gpu, "computeShare", at);
        if (percent > ComputeShares.WHOLE) {
          throw new DecodeException(
              Problem.OUT_OF_RANGE, at + "computeShare " + percent + " is above 100 percent");
        }
        if (exclusive.booleanValue()) {
          throw new DecodeException(
              Problem.INCONSISTENT, at + "computeShare is set in an exclusive assignment (whole GPUs are not paced)");
        }
        computeShare = (int) percent;
      }
      long swapMiB = 0;
      if (present(gpu, "swapMiB")) {
        swapMiB = wholeNumber(gpu, "swapMiB", at);
        if (swapMiB > memoryMiB) {
          throw new DecodeException(
              Problem.INCONSISTENT, at + "swapMiB " + swapMiB + " is above memoryMiB " + memoryMiB);
        }
        if (exclusive.booleanValue() && swapMiB > 0) {
          throw new DecodeException(
              Problem.INCONSISTENT, at + "swapMiB is set in an exclusive assignment (whole GPUs are not swapped)");
        }
      }
      shares.add(new GpuShare((int) index, uuid, memoryMiB, limitMiB, fraction, computeShare, swapMiB));
    }
    return new GpuAssignment(node.textValue(), exclusive.booleanValue(), shares);
  }

  /**
   * The entry's {@code limitMiB}, checked against {@code limitBytes} and its memory; the memory
   * itself when it has neither (no loan).
   */
  private static long limitMiB(JsonNode gpu, String at, long memoryMiB) throws DecodeException {
    boolean hasMiB = present(gpu, "limitMiB");
    boolean hasBytes = present(gpu, "limitBytes");
    if (!hasMiB && !hasBytes) {
      return memoryMiB;
    }
    if (hasMiB != hasBytes) {
      throw new DecodeException(
          Problem.MISSING_FIELD,
          at + (hasMiB ? "limitBytes" : "limitMiB") + " is missing; limitMiB and limitBytes come together");
    }
    long limitMiB = wholeNumber(gpu, "limitMiB", at);
    if (limitMiB > WellKnown.MAX_GPU_MEMORY_MIB) {
      throw new DecodeException(Problem.OUT_OF_RANGE, at + "limitMiB " + limitMiB + " is larger than any GPU");
    }
    long limitBytes = wholeNumber(gpu, "limitBytes", at);
    if (limitBytes != limitMiB * MIB) {
      throw new DecodeException(
          Problem.INCONSISTENT, at + "limitBytes " + limitBytes + " is not limitMiB " + limitMiB + " * 1048576");
    }
    if (limitMiB < memoryMiB) {
      throw new DecodeException(
          Problem.INCONSISTENT, at + "limitMiB " + limitMiB + " is below memoryMiB " + memoryMiB);
    }
    return limitMiB;
  }

  /** An optional field: absent and null both mean "not given". */
  private static boolean present(JsonNode parent, String field) {
    JsonNode value = parent.get(field);
    return value != null && !value.isNull();
  }

  private static JsonNode required(JsonNode parent, String field, String at) throws DecodeException {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      throw new DecodeException(Problem.MISSING_FIELD, at + field + " is missing");
    }
    return value;
  }

  private static long wholeNumber(JsonNode parent, String field, String at) throws DecodeException {
    JsonNode value = required(parent, field, at);
    if (!value.isIntegralNumber()) {
      throw new DecodeException(Problem.WRONG_TYPE, at + field + " must be a whole number, was " + value);
    }
    if (!value.canConvertToLong()) {
      throw new DecodeException(Problem.OUT_OF_RANGE, at + field + " " + value + " is too large");
    }
    long number = value.longValue();
    if (number < 0) {
      throw new DecodeException(Problem.NEGATIVE_VALUE, at + field + " " + number + " is negative");
    }
    return number;
  }

  private static Decoded invalid(Problem problem, String message) {
    return new Decoded.Invalid(problem, message);
  }

  /** Internal control flow of {@link #read}; never escapes {@link #decode}. */
  private static final class DecodeException extends Exception {
    private final Problem problem;

    DecodeException(Problem problem, String message) {
      super(message, null, false, false);
      this.problem = problem;
    }
  }
}
