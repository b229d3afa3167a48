package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent reads the assignment with the extender's own codec (tessera-api, where its format and
 * every refusal are tested); here, that what the agent's tests write is what the codec reads.
 */
class AssignmentAnnotationTest {

  @Test
  void theTestPodsCarryAssignmentsTheCodecReads() {
    assertEquals(
        new GpuAssignment("n", true,
            List.of(new GpuShare(2, FakeGpus.uuid(2), 81920, 1.0), new GpuShare(3, FakeGpus.uuid(3), 81920, 1.0))),
        read(Pods.wholeGpus("n", 2, 3)));
    assertEquals(new GpuShare(1, null, 40960, 0.5), read(Pods.sharedGpu("n", 1, 40960, 0.5)).shares().get(0));
    GpuShare borrowing = read(Pods.sharedGpu("n", 1, 40960, 61440, 0.5)).shares().get(0);
    assertEquals(61440, borrowing.limitMiB());
    assertTrue(borrowing.borrows());
  }

  @Test
  void aNewerVersionSaysWhichSideIsBehind() {
    AssignmentCodec.Decoded.Invalid invalid = assertInstanceOf(AssignmentCodec.Decoded.Invalid.class,
        AssignmentCodec.decode("{\"version\":2,\"node\":\"n\",\"exclusive\":true,\"gpus\":[]}"));
    assertTrue(invalid.message().contains("older than the extender"), invalid.message());
  }

  private static GpuAssignment read(String annotation) {
    return assertInstanceOf(AssignmentCodec.Decoded.Ok.class, AssignmentCodec.decode(annotation)).assignment();
  }
}
