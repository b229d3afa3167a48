package dev.tessera.agent.deviceplugin;

/**
 * Device IDs kubelet sees. With one slot per GPU the ID is the GPU's UUID; with several (the
 * shared resource), {@code <uuid>::<slot>}, so kubelet can hand the same GPU to several containers
 * while each ID still says which GPU it stands for.
 */
final class SlotIds {
  private static final String SEPARATOR = "::";

  private SlotIds() {}

  static String of(String uuid, int slot, int slotsPerGpu) {
    return slotsPerGpu == 1 ? uuid : uuid + SEPARATOR + slot;
  }

  /** The UUID of the GPU a device ID stands for. */
  static String gpuOf(String id) {
    int at = id.indexOf(SEPARATOR);
    return at < 0 ? id : id.substring(0, at);
  }
}
