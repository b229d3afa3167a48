package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Pointer;
import dev.tessera.agent.gpu.XidErrors;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the XID errors NVML reports, per GPU, through one event set. The set is drained without
 * waiting at each sample, so no thread of its own sits in {@code nvmlEventSetWait}: an XID shows
 * within one sample period, which is as soon as anything reads it.
 *
 * <p>A critical XID ({@link XidErrors#critical}) keeps the GPU unhealthy until the agent restarts,
 * as NVIDIA's device plugin does: NVML says nothing when a reset has cleared it, and a GPU that
 * threw an XID 79 must not get new work on a guess.
 *
 * <p>Thread-safe: every method holds this object's lock.
 */
final class NvmlXidWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NvmlXidWatch.class);
  /** Events read per drain at most, so a storm of XIDs cannot hold a sample up for long. */
  static final int MAX_EVENTS_PER_DRAIN = 256;

  private final Nvml nvml;
  private Pointer set; // null where NVML has no events
  private boolean closed;
  private boolean failing; // the last drain failed; logged once until one works again
  private final Map<Long, Integer> indexByHandle = new HashMap<>();
  private final Map<Integer, XidErrors> xids = new HashMap<>();
  private final Map<Integer, Integer> critical = new HashMap<>();

  NvmlXidWatch(Nvml nvml) {
    this.nvml = Objects.requireNonNull(nvml, "nvml");
    if (!nvml.library().has(NvmlLibrary.EVENT_SET_WAIT)) {
      // Drivers before nvmlEventSetWait_v2 could create a set but never read it.
      set = null;
      log.info("this NVML has no {}: XID errors are not watched", NvmlLibrary.EVENT_SET_WAIT);
      return;
    }
    try {
      set = nvml.createEventSet();
    } catch (NvmlException e) {
      set = null;
      log.info("NVML cannot report XID errors here ({}); DCGM_FI_DEV_XID_ERRORS is left out", e.getMessage());
    }
  }

  /** Registers every usable GPU not yet registered; a GPU that cannot give events is not watched. */
  synchronized void watch(List<NvmlDevice> devices) {
    if (set == null || closed) {
      return;
    }
    for (NvmlDevice device : devices) {
      int index = device.info().index();
      if (!device.usable() || xids.containsKey(index)) {
        continue;
      }
      try {
        nvml.registerXidEvents(device.handle(), set);
        indexByHandle.put(Pointer.nativeValue(device.handle()), index);
        xids.put(index, XidErrors.NONE);
      } catch (NvmlException e) {
        log.info("GPU {} cannot report XID errors ({}); its XID series are left out", index, e.getMessage());
      }
    }
  }

  /** Reads the events that have arrived, without waiting. */
  synchronized void drain() {
    if (set == null || closed) {
      return;
    }
    for (int i = 0; i < MAX_EVENTS_PER_DRAIN; i++) {
      NvmlEvent event;
      try {
        event = nvml.nextEvent(set, 0);
      } catch (NvmlException e) {
        if (!failing) {
          log.warn("reading NVML's XID events failed; XIDs may go uncounted until it works again: {}", e.getMessage());
          failing = true;
        }
        return;
      }
      if (failing) {
        log.info("reading NVML's XID events works again");
        failing = false;
      }
      if (event == null) {
        return;
      }
      if ((event.type() & NvmlStructs.EVENT_TYPE_XID) == 0) {
        continue;
      }
      Integer index = indexByHandle.get(Pointer.nativeValue(event.device()));
      if (index == null) {
        continue; // a GPU this agent no longer lists
      }
      int xid = (int) event.data();
      xids.merge(index, XidErrors.NONE.plus(xid), (was, one) -> was.plus(xid));
      if (XidErrors.critical(xid)) {
        critical.put(index, xid);
      }
    }
  }

  /** The XIDs of GPU {@code index}; NOT_OBSERVED where it is not watched. */
  synchronized XidErrors of(int index) {
    return xids.getOrDefault(index, XidErrors.NOT_OBSERVED);
  }

  /** The last critical XID of GPU {@code index}, 0 for none. */
  synchronized int criticalXid(int index) {
    return critical.getOrDefault(index, 0);
  }

  @Override
  public synchronized void close() {
    if (set != null && !closed) {
      try {
        nvml.freeEventSet(set);
      } catch (NvmlException e) {
        // NVML is shutting down right after; nothing is left to release.
      }
    }
    closed = true;
  }
}
