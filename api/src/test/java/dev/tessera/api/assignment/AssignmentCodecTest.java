package dev.tessera.api.assignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.AssignmentCodec.Decoded;
import dev.tessera.api.assignment.AssignmentCodec.Problem;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AssignmentCodecTest {

  @Test
  void encodesTheDocumentedFormat() {
    GpuAssignment assignment =
        new GpuAssignment("gpu-a100-01", false, List.of(new GpuShare(3, "GPU-abc", 40960, 0.5)));
    assertEquals(
        "{\"version\":1,\"node\":\"gpu-a100-01\",\"exclusive\":false,\"gpus\":[{\"index\":3,"
            + "\"uuid\":\"GPU-abc\",\"memoryMiB\":40960,\"memoryBytes\":42949672960,\"fraction\":0.5}]}",
        AssignmentCodec.encode(assignment));
  }

  @Test
  void writesTheLimitOnlyForADynamicFraction() {
    GpuAssignment borrowing =
        new GpuAssignment("gpu-a100-01", false, List.of(new GpuShare(3, "GPU-abc", 40960, 73728, 0.5)));
    assertEquals(
        "{\"version\":1,\"node\":\"gpu-a100-01\",\"exclusive\":false,\"gpus\":[{\"index\":3,"
            + "\"uuid\":\"GPU-abc\",\"memoryMiB\":40960,\"memoryBytes\":42949672960,"
            + "\"limitMiB\":73728,\"limitBytes\":77309411328,\"fraction\":0.5}]}",
        AssignmentCodec.encode(borrowing));
    String plain = AssignmentCodec.encode(
        new GpuAssignment("n", false, List.of(new GpuShare(0, null, 40960, 40960, 0.5))));
    assertFalse(plain.contains("limit"), "a limit equal to the request is no loan: " + plain);
  }

  @Test
  void aDynamicFractionReadsBackToTheSameShare() {
    GpuAssignment mixed =
        new GpuAssignment(
            "n", false,
            List.of(new GpuShare(1, "GPU-1", 8000, 12000, 8000 / 81920.0), new GpuShare(2, "GPU-2", 8000, 8000 / 81920.0)));
    assertEquals(new Decoded.Ok(mixed), AssignmentCodec.decode(AssignmentCodec.encode(mixed)));
  }

  @Test
  void annotationsWrittenBeforeLimitsExistedStayValid() {
    Decoded decoded = AssignmentCodec.decode(
        whole("{\"index\":0,\"memoryMiB\":1024,\"memoryBytes\":1073741824,\"fraction\":0.5}"));
    GpuShare share = assertInstanceOf(Decoded.Ok.class, decoded).assignment().shares().get(0);
    assertEquals(1024, share.limitMiB(), "no limit: the request is the limit");
    assertFalse(share.borrows());
    Decoded explicitNulls = AssignmentCodec.decode(whole(
        "{\"index\":0,\"memoryMiB\":1024,\"memoryBytes\":1073741824,\"limitMiB\":null,\"limitBytes\":null,\"fraction\":0.5}"));
    assertEquals(decoded, explicitNulls);
    Decoded equal = AssignmentCodec.decode(whole(
        "{\"index\":0,\"memoryMiB\":1024,\"memoryBytes\":1073741824,\"limitMiB\":1024,\"limitBytes\":1073741824,\"fraction\":0.5}"));
    assertEquals(decoded, equal, "a limit equal to the request is read as no loan");
  }

  static Stream<Arguments> badLimits() {
    String head = "{\"index\":0,\"memoryMiB\":1024,\"memoryBytes\":1073741824,";
    return Stream.of(
        Arguments.of(whole(head + "\"limitMiB\":2048,\"fraction\":0.5}"), Problem.MISSING_FIELD, "gpus[0].limitBytes is missing"),
        Arguments.of(whole(head + "\"limitBytes\":2147483648,\"fraction\":0.5}"), Problem.MISSING_FIELD, "gpus[0].limitMiB is missing"),
        Arguments.of(whole(head + "\"limitMiB\":\"2048\",\"limitBytes\":2147483648,\"fraction\":0.5}"), Problem.WRONG_TYPE, "gpus[0].limitMiB must be a whole number"),
        Arguments.of(whole(head + "\"limitMiB\":2048.5,\"limitBytes\":2147483648,\"fraction\":0.5}"), Problem.WRONG_TYPE, "gpus[0].limitMiB must be a whole number"),
        Arguments.of(whole(head + "\"limitMiB\":2048,\"limitBytes\":2.1e9,\"fraction\":0.5}"), Problem.WRONG_TYPE, "gpus[0].limitBytes must be a whole number"),
        Arguments.of(whole(head + "\"limitMiB\":-2048,\"limitBytes\":-2147483648,\"fraction\":0.5}"), Problem.NEGATIVE_VALUE, "gpus[0].limitMiB -2048 is negative"),
        Arguments.of(whole(head + "\"limitMiB\":999999999999,\"limitBytes\":1,\"fraction\":0.5}"), Problem.OUT_OF_RANGE, "gpus[0].limitMiB 999999999999 is larger than any GPU"),
        Arguments.of(whole(head + "\"limitMiB\":2048,\"limitBytes\":2000000000,\"fraction\":0.5}"), Problem.INCONSISTENT, "gpus[0].limitBytes 2000000000 is not limitMiB 2048 * 1048576"),
        Arguments.of(whole(head + "\"limitMiB\":512,\"limitBytes\":536870912,\"fraction\":0.5}"), Problem.INCONSISTENT, "gpus[0].limitMiB 512 is below memoryMiB 1024"),
        Arguments.of(
            "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryMiB\":1024,"
                + "\"memoryBytes\":1073741824,\"limitMiB\":2048,\"limitBytes\":2147483648,\"fraction\":1.0}]}",
            Problem.INCONSISTENT, "gpus[0].limitMiB is set in an exclusive assignment"));
  }

  @ParameterizedTest(name = "[{index}] {1}: {2}")
  @MethodSource("badLimits")
  void refusesBadLimitsWithASpecificProblem(String text, Problem expected, String message) {
    Decoded.Invalid invalid =
        assertInstanceOf(Decoded.Invalid.class, AssignmentCodec.decode(text), () -> "accepted: " + text);
    assertEquals(expected, invalid.problem(), invalid.message());
    assertTrue(invalid.message().startsWith(message), invalid.message());
  }

  @Test
  void writesTheComputeShareAndSwapPlacementCounted() {
    GpuAssignment placed =
        new GpuAssignment(
            "n", false,
            List.of(new GpuShare(0, "GPU-0", 40960, 40960, 0.5, 30, 8192), new GpuShare(1, "GPU-1", 40960, 0.5)));
    String json = AssignmentCodec.encode(placed);
    assertTrue(json.contains("\"fraction\":0.5,\"computeShare\":30,\"swapMiB\":8192}"), json);
    assertEquals(new Decoded.Ok(placed), AssignmentCodec.decode(json));
    assertTrue(placed.onSwap());
    assertEquals(30, placed.shares().get(0).computeSharePercent());
    assertEquals(50, placed.shares().get(1).computeSharePercent(), "unset: the fraction's share");
    GpuShare optedOut = new GpuShare(0, null, 1024, 1024, 0.25, ComputeShares.NOT_PACED, 0);
    GpuAssignment unpaced = new GpuAssignment("n", false, List.of(optedOut));
    assertEquals(new Decoded.Ok(unpaced), AssignmentCodec.decode(AssignmentCodec.encode(unpaced)));
    assertFalse(unpaced.onSwap());
  }

  static Stream<Arguments> badComputeSharesAndSwap() {
    String head = "{\"index\":0,\"memoryMiB\":1024,\"memoryBytes\":1073741824,\"fraction\":0.5,";
    String exclusive = "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,"
        + "\"memoryMiB\":1024,\"memoryBytes\":1073741824,\"fraction\":1.0,";
    return Stream.of(
        Arguments.of(whole(head + "\"computeShare\":101}"), Problem.OUT_OF_RANGE, "gpus[0].computeShare 101 is above 100"),
        Arguments.of(whole(head + "\"computeShare\":-1}"), Problem.NEGATIVE_VALUE, "gpus[0].computeShare -1 is negative"),
        Arguments.of(whole(head + "\"computeShare\":\"30\"}"), Problem.WRONG_TYPE, "gpus[0].computeShare must be a whole number"),
        Arguments.of(whole(head + "\"computeShare\":30.5}"), Problem.WRONG_TYPE, "gpus[0].computeShare must be a whole number"),
        Arguments.of(whole(head + "\"swapMiB\":2048}"), Problem.INCONSISTENT, "gpus[0].swapMiB 2048 is above memoryMiB 1024"),
        Arguments.of(whole(head + "\"swapMiB\":-1}"), Problem.NEGATIVE_VALUE, "gpus[0].swapMiB -1 is negative"),
        Arguments.of(exclusive + "\"computeShare\":100}]}", Problem.INCONSISTENT, "gpus[0].computeShare is set in an exclusive"),
        Arguments.of(exclusive + "\"swapMiB\":1}]}", Problem.INCONSISTENT, "gpus[0].swapMiB is set in an exclusive"));
  }

  @ParameterizedTest(name = "[{index}] {1}: {2}")
  @MethodSource("badComputeSharesAndSwap")
  void refusesBadComputeSharesAndSwapWithASpecificProblem(String text, Problem expected, String message) {
    Decoded.Invalid invalid =
        assertInstanceOf(Decoded.Invalid.class, AssignmentCodec.decode(text), () -> "accepted: " + text);
    assertEquals(expected, invalid.problem(), invalid.message());
    assertTrue(invalid.message().startsWith(message), invalid.message());
  }

  @Test
  void omitsAnUnknownUuid() {
    String json =
        AssignmentCodec.encode(new GpuAssignment("n", true, List.of(new GpuShare(0, null, 81920, 1.0))));
    assertFalse(json.contains("uuid"), json);
  }

  @Test
  void roundTripsWholeFractionalAndMultiGpuAssignments() {
    List<GpuAssignment> assignments =
        List.of(
            new GpuAssignment(
                "gpu-a100-01", true,
                List.of(new GpuShare(0, null, 81920, 1.0), new GpuShare(5, "GPU-5", 81920, 1.0))),
            new GpuAssignment("n", false, List.of(new GpuShare(7, null, 24576, 0.3))),
            new GpuAssignment(
                "n", false,
                List.of(new GpuShare(1, "GPU-1", 20000, 20000 / 81920.0), new GpuShare(2, "GPU-2", 20000, 20000 / 81920.0))),
            new GpuAssignment("n", false, List.of(new GpuShare(63, null, 0, 0.001))));
    for (GpuAssignment assignment : assignments) {
      Decoded decoded = AssignmentCodec.decode(AssignmentCodec.encode(assignment));
      assertEquals(new Decoded.Ok(assignment), decoded);
    }
  }

  @Test
  void ignoresUnknownFieldsForForwardCompatibility() {
    Decoded decoded =
        AssignmentCodec.decode(
            "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"later\":{\"x\":1},\"gpus\":[{\"index\":0,"
                + "\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5,\"extra\":true}]}");
    assertInstanceOf(Decoded.Ok.class, decoded);
  }

  static Stream<Arguments> badAnnotations() {
    String gpu = "{\"index\":0,\"memoryMiB\":1024,\"memoryBytes\":1073741824,\"fraction\":0.5}";
    return Stream.of(
        Arguments.of(null, Problem.MALFORMED_JSON),
        Arguments.of("", Problem.MALFORMED_JSON),
        Arguments.of("   ", Problem.MALFORMED_JSON),
        Arguments.of("not json", Problem.MALFORMED_JSON),
        Arguments.of("{\"version\":1,", Problem.MALFORMED_JSON),
        Arguments.of("[1,2]", Problem.MALFORMED_JSON),
        Arguments.of("\"a string\"", Problem.MALFORMED_JSON),
        Arguments.of("null", Problem.MALFORMED_JSON),
        Arguments.of(whole(gpu) + " trailing", Problem.MALFORMED_JSON),
        Arguments.of(
            "{\"version\":1,\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[" + gpu + "]}",
            Problem.MALFORMED_JSON),
        Arguments.of("{\"node\":\"n\",\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.MISSING_FIELD),
        Arguments.of("{\"version\":2,\"node\":\"n\",\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.UNKNOWN_VERSION),
        Arguments.of("{\"version\":0,\"node\":\"n\",\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.UNKNOWN_VERSION),
        Arguments.of("{\"version\":\"1\",\"node\":\"n\",\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.WRONG_TYPE),
        Arguments.of("{\"version\":1,\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.MISSING_FIELD),
        Arguments.of("{\"version\":1,\"node\":\"\",\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.MISSING_FIELD),
        Arguments.of("{\"version\":1,\"node\":null,\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.MISSING_FIELD),
        Arguments.of("{\"version\":1,\"node\":7,\"exclusive\":false,\"gpus\":[" + gpu + "]}", Problem.WRONG_TYPE),
        Arguments.of("{\"version\":1,\"node\":\"n\",\"gpus\":[" + gpu + "]}", Problem.MISSING_FIELD),
        Arguments.of("{\"version\":1,\"node\":\"n\",\"exclusive\":\"no\",\"gpus\":[" + gpu + "]}", Problem.WRONG_TYPE),
        Arguments.of("{\"version\":1,\"node\":\"n\",\"exclusive\":false}", Problem.MISSING_FIELD),
        Arguments.of("{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":{}}", Problem.WRONG_TYPE),
        Arguments.of("{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[]}", Problem.OUT_OF_RANGE),
        Arguments.of("{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[1]}", Problem.WRONG_TYPE),
        Arguments.of(whole(gpu + "," + gpu), Problem.DUPLICATE_INDEX),
        Arguments.of(whole("{\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.MISSING_FIELD),
        Arguments.of(whole("{\"index\":-1,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.NEGATIVE_VALUE),
        Arguments.of(whole("{\"index\":64,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.OUT_OF_RANGE),
        Arguments.of(whole("{\"index\":1.5,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.WRONG_TYPE),
        Arguments.of(whole("{\"index\":\"0\",\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.WRONG_TYPE),
        Arguments.of(whole("{\"index\":0,\"uuid\":5,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.WRONG_TYPE),
        Arguments.of(whole("{\"index\":0,\"uuid\":\"\",\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.MISSING_FIELD),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":-1,\"memoryBytes\":-1048576,\"fraction\":0.5}"), Problem.NEGATIVE_VALUE),
        Arguments.of(whole("{\"index\":0,\"memoryBytes\":1048576,\"fraction\":0.5}"), Problem.MISSING_FIELD),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"fraction\":0.5}"), Problem.MISSING_FIELD),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1000000,\"fraction\":0.5}"), Problem.INCONSISTENT),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":99999999999999999999,\"memoryBytes\":1,\"fraction\":0.5}"), Problem.OUT_OF_RANGE),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":999999999999,\"memoryBytes\":1,\"fraction\":0.5}"), Problem.OUT_OF_RANGE),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576}"), Problem.MISSING_FIELD),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":\"half\"}"), Problem.WRONG_TYPE),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":-0.5}"), Problem.NEGATIVE_VALUE),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0}"), Problem.OUT_OF_RANGE),
        Arguments.of(whole("{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1.5}"), Problem.OUT_OF_RANGE),
        Arguments.of(
            "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[" + gpu + "]}", Problem.INCONSISTENT));
  }

  @ParameterizedTest(name = "[{index}] {1}: {0}")
  @MethodSource("badAnnotations")
  void refusesBadAnnotationsWithASpecificProblem(String text, Problem expected) {
    Decoded decoded = AssignmentCodec.decode(text);
    Decoded.Invalid invalid = assertInstanceOf(Decoded.Invalid.class, decoded, () -> "accepted: " + text);
    assertEquals(expected, invalid.problem(), invalid.message());
    assertFalse(invalid.message().isBlank());
  }

  @Test
  void tooManyGpusIsOutOfRange() {
    StringBuilder gpus = new StringBuilder();
    for (int i = 0; i < 65; i++) {
      gpus.append(i == 0 ? "" : ",")
          .append("{\"index\":").append(i % 64).append(",\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}");
    }
    Decoded.Invalid invalid = assertInstanceOf(Decoded.Invalid.class, AssignmentCodec.decode(whole(gpus.toString())));
    assertEquals(Problem.OUT_OF_RANGE, invalid.problem());
  }

  @Test
  void messagesSayWhichEntryIsWrong() {
    Decoded.Invalid invalid =
        assertInstanceOf(
            Decoded.Invalid.class,
            AssignmentCodec.decode(
                whole(
                    "{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5},"
                        + "{\"index\":1,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":7}")));
    assertTrue(invalid.message().contains("gpus[1].fraction"), invalid.message());
  }

  private static String whole(String gpus) {
    return "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[" + gpus + "]}";
  }
}
