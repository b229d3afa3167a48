package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.deviceplugin.GpuAssignment.AssignedGpu;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AssignmentReaderTest {

  @Test
  void readsTheDocumentedExample() {
    String text = "{\"version\":1,\"node\":\"gpu-a100-01\",\"exclusive\":false,\"gpus\":[{\"index\":3,"
        + "\"uuid\":\"GPU-8f6c\",\"memoryMiB\":40960,\"memoryBytes\":42949672960,\"fraction\":0.5}]}";

    GpuAssignment assignment = ok(text);

    assertEquals(
        new GpuAssignment("gpu-a100-01", false, List.of(new AssignedGpu(3, "GPU-8f6c", 42949672960L, 42949672960L, 0.5))),
        assignment);
  }

  @Test
  void aDynamicFractionCarriesTheLimitItMayBorrowUpTo() {
    GpuAssignment assignment = ok("{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":3,"
        + "\"memoryMiB\":40960,\"memoryBytes\":42949672960,\"limitMiB\":61440,\"limitBytes\":64424509440,"
        + "\"fraction\":0.5}]}");

    assertEquals(42949672960L, assignment.gpus().get(0).memoryBytes());
    assertEquals(64424509440L, assignment.gpus().get(0).limitBytes());
  }

  @Test
  void uuidIsOptionalAndUnknownFieldsAreIgnored() {
    GpuAssignment assignment = ok(
        "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"later\":{\"x\":1},\"gpus\":[{\"index\":0,"
            + "\"memoryMiB\":0,\"memoryBytes\":0,\"fraction\":1,\"model\":\"H100\"}]}");

    assertEquals(null, assignment.gpus().get(0).uuid());
    assertTrue(assignment.exclusive());
  }

  @Test
  void matchesWhatTheTestsWrite() {
    assertEquals(2, ok(Pods.wholeGpus("n", 2, 3)).gpus().size());
    assertEquals(40960L << 20, ok(Pods.sharedGpu("n", 1, 40960, 0.5)).gpus().get(0).memoryBytes());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', value = {
    "{\"version\":2,\"node\":\"n\",\"exclusive\":true,\"gpus\":[]}                | version 2 is not supported",
    "{\"node\":\"n\",\"exclusive\":true,\"gpus\":[]}                              | version is missing",
    "{\"version\":1,\"exclusive\":true,\"gpus\":[]}                               | node is missing",
    "{\"version\":1,\"node\":\"\",\"exclusive\":true,\"gpus\":[]}                 | node must be a non-empty string",
    "{\"version\":1,\"node\":\"n\",\"gpus\":[]}                                   | exclusive is missing",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":\"yes\",\"gpus\":[]}             | exclusive must be true or false",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true}                            | gpus is missing",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[]}                | gpus must be an array of 1 to 64",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1}]} | gpus[0].index is missing",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":64,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1}]} | index 64 is not a GPU index",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryBytes\":1048576,\"fraction\":1}]} | gpus[0].memoryMiB is missing",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1000,\"fraction\":1}]} | memoryBytes 1000 is not memoryMiB 1 * 1048576",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576}]} | gpus[0].fraction is missing",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":0.5}]} | in an exclusive assignment",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1.5}]} | fraction must be in (0, 1]",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":0,\"memoryMiB\":-1,\"memoryBytes\":0,\"fraction\":1}]} | memoryMiB -1 is negative",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":0,\"uuid\":\"\",\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1}]} | uuid must be a non-empty string",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1},{\"index\":0,\"memoryMiB\":1,\"memoryBytes\":1048576,\"fraction\":1}]} | GPU index 0 appears more than once",
    "{\"version\":1,\"version\":1}                                                 | not valid JSON",
    "{\"version\":1} {}                                                           | not valid JSON",
    "[1]                                                                          | expected a JSON object",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":0,\"memoryMiB\":2,\"memoryBytes\":2097152,\"limitMiB\":4,\"fraction\":0.5}]} | only limitMiB is set",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":0,\"memoryMiB\":2,\"memoryBytes\":2097152,\"limitMiB\":1,\"limitBytes\":1048576,\"fraction\":0.5}]} | limitMiB 1 is below memoryMiB 2",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":false,\"gpus\":[{\"index\":0,\"memoryMiB\":2,\"memoryBytes\":2097152,\"limitMiB\":4,\"limitBytes\":4,\"fraction\":0.5}]} | limitBytes 4 is not limitMiB 4 * 1048576",
    "{\"version\":1,\"node\":\"n\",\"exclusive\":true,\"gpus\":[{\"index\":0,\"memoryMiB\":2,\"memoryBytes\":2097152,\"limitMiB\":4,\"limitBytes\":4194304,\"fraction\":1}]} | an exclusive assignment has no memory limit",
  })
  void refuses(String text, String reason) {
    AssignmentReader.Result result = AssignmentReader.read(text.trim());

    AssignmentReader.Result.Invalid invalid = assertInstanceOf(AssignmentReader.Result.Invalid.class, result);
    assertTrue(invalid.reason().contains(reason.trim()), invalid.reason());
  }

  @Test
  void refusesEmptyText() {
    assertInstanceOf(AssignmentReader.Result.Invalid.class, AssignmentReader.read(""));
    assertInstanceOf(AssignmentReader.Result.Invalid.class, AssignmentReader.read(null));
  }

  private static GpuAssignment ok(String text) {
    return assertInstanceOf(AssignmentReader.Result.Ok.class, AssignmentReader.read(text)).assignment();
  }
}
