package dev.tessera.agent.deviceplugin;

import java.util.List;
import java.util.Objects;

/**
 * The device list kubelet is told about at one moment: one slot per GPU, whatever its health.
 *
 * @param generation increases by one each time the list changes, so a stream never sends an older
 *     list after a newer one
 */
public record DeviceSnapshot(long generation, List<DeviceState> devices) {
  public DeviceSnapshot {
    devices = List.copyOf(devices);
  }

  /**
   * One slot.
   *
   * @param id the device ID kubelet sees: the GPU's UUID
   * @param reason why the GPU is unhealthy; empty when healthy
   */
  public record DeviceState(String id, int index, boolean healthy, String reason) {
    public DeviceState {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
