package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PreferredDevicesTest {
  private static final List<String> AVAILABLE = List.of("a", "b", "c", "d");

  @Test
  void mustIncludeFirstThenAssignedThenTheRest() {
    assertEquals(List.of("b", "d", "a"), PreferredDevices.choose(AVAILABLE, List.of("b"), 3, List.of("d")));
  }

  @Test
  void assignedDevicesKubeletDoesNotOfferAreLeftOut() {
    assertEquals(List.of("c", "a"), PreferredDevices.choose(AVAILABLE, List.of(), 2, List.of("x", "c")));
  }

  @Test
  void neverMoreThanAskedFor() {
    assertEquals(List.of("d"), PreferredDevices.choose(AVAILABLE, List.of(), 1, List.of("d", "c")));
  }

  @Test
  void withSharedSlotsAFreeSlotOfTheAssignedGpuIsPreferred() {
    List<String> available = List.of("GPU-a::0", "GPU-a::1", "GPU-b::0", "GPU-b::1");
    assertEquals(List.of("GPU-b::0"), PreferredDevices.choose(available, List.of(), 1, List.of("GPU-b")));
    assertEquals(
        List.of("GPU-b::0", "GPU-a::0"),
        PreferredDevices.choose(available, List.of(), 2, List.of("GPU-b", "GPU-a")));
  }

  @Test
  void slotIdsNameTheirGpu() {
    assertEquals("GPU-a", SlotIds.of("GPU-a", 0, 1));
    assertEquals("GPU-a::3", SlotIds.of("GPU-a", 3, 32));
    assertEquals("GPU-a", SlotIds.gpuOf("GPU-a::3"));
    assertEquals("GPU-a", SlotIds.gpuOf("GPU-a"));
  }
}
