package dev.tessera.agent.deviceplugin;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The answer to one GetPreferredAllocation container request: the devices kubelet must include,
 * then the GPUs the pending pod's assignment names, then any other available device, in kubelet's
 * order, up to the size asked. Only a hint: {@code Allocate} hands out the assignment's GPUs
 * whatever kubelet picks; the hint keeps kubelet's bookkeeping in step with what containers use.
 */
final class PreferredDevices {
  private PreferredDevices() {}

  static List<String> choose(
      List<String> available, List<String> mustInclude, int size, Collection<String> assigned) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String id : mustInclude) {
      if (chosen.size() < size) {
        chosen.add(id);
      }
    }
    for (String uuid : assigned) {
      // The assignment names GPUs; with several slots per GPU, any free slot of that GPU will do.
      for (String id : available) {
        if (chosen.size() < size && SlotIds.gpuOf(id).equals(uuid) && !chosen.contains(id)) {
          chosen.add(id);
          break;
        }
      }
    }
    for (String id : available) {
      if (chosen.size() < size) {
        chosen.add(id);
      }
    }
    return new ArrayList<>(chosen);
  }
}
