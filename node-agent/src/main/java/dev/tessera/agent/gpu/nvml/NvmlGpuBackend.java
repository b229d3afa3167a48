package dev.tessera.agent.gpu.nvml;

import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The node's GPUs through NVML. A GPU NVML will not open (no permission) or that is lost stays in
 * the inventory, with an empty UUID when it never opened, and samples as unhealthy with NVML's
 * reason; the others go on. A figure NVML cannot give (utilization in MIG mode, power on some
 * boards) is {@link GpuSample#UNKNOWN}.
 *
 * <p>Thread-safe: NVML is, and the device list is an immutable list replaced whole. A lock keeps
 * {@link #close()} from shutting NVML down under a sample in flight.
 */
public final class NvmlGpuBackend implements GpuBackend {
  private final Nvml nvml;
  private final String description;
  private final NvmlInventoryReader inventoryReader;
  private final NvmlSampler sampler;
  private final NvmlXidWatch xids;
  private final String driverVersion;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile List<NvmlDevice> devices;
  private boolean closed; // guarded by lock

  /** Takes an initialised NVML. */
  NvmlGpuBackend(Nvml nvml, String description) {
    this.nvml = Objects.requireNonNull(nvml, "nvml");
    this.description = Objects.requireNonNull(description, "description");
    this.inventoryReader = new NvmlInventoryReader(nvml);
    this.sampler = new NvmlSampler(nvml);
    this.devices = inventoryReader.read();
    this.xids = new NvmlXidWatch(nvml);
    xids.watch(devices);
    this.driverVersion = versionOrUnknown(nvml::driverVersion, "");
  }

  /** Opens the driver's {@code libnvidia-ml.so.1}. */
  public static NvmlOpenResult open() {
    return open(NvmlLibrary.DEFAULT_NAME);
  }

  /**
   * Loads NVML from {@code library} (a soname or an absolute path; tests pass a stub), starts it
   * and reads the inventory. Never throws for a machine without NVIDIA GPUs: the result says why.
   */
  public static NvmlOpenResult open(String library) {
    NvmlLibrary loaded;
    try {
      loaded = NvmlLibrary.load(library);
    } catch (UnsatisfiedLinkError e) {
      return NvmlOpenResult.unavailable(
          NvmlOpenResult.Status.LIBRARY_NOT_FOUND,
          "NVML is not available: "
              + library
              + " could not be loaded ("
              + linkerError(e.getMessage())
              + "). Either this machine has no NVIDIA driver, or the driver's libraries are not"
              + " mounted into this container");
    }
    if (!loaded.has(NvmlLibrary.INIT)) {
      return NvmlOpenResult.unavailable(
          NvmlOpenResult.Status.INIT_FAILED,
          "NVML is not available: " + library + " has no " + NvmlLibrary.INIT
              + ": it is not NVML, or the NVIDIA driver is too old");
    }
    Nvml nvml = new Nvml(loaded);
    try {
      nvml.init();
    } catch (NvmlException e) {
      if (e.error() == NvmlReturn.DRIVER_NOT_LOADED) {
        return NvmlOpenResult.unavailable(
            NvmlOpenResult.Status.DRIVER_NOT_LOADED,
            "NVML is not available: " + e.getMessage() + ". " + library
                + " is installed but the NVIDIA kernel module is not loaded");
      }
      return NvmlOpenResult.unavailable(
          NvmlOpenResult.Status.INIT_FAILED, "NVML is not available: " + e.getMessage());
    }
    try {
      return NvmlOpenResult.loaded(new NvmlGpuBackend(nvml, describe(nvml)));
    } catch (NvmlException e) {
      shutdownQuietly(nvml);
      return NvmlOpenResult.unavailable(
          NvmlOpenResult.Status.INIT_FAILED,
          "NVML started but cannot list the GPUs: " + e.getMessage());
    }
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String driverVersion() {
    return driverVersion;
  }

  /** Opens the GPUs again, so a GPU that was refused before is retried. */
  @Override
  public List<GpuInfo> inventory() {
    Lock read = openLock();
    try {
      List<NvmlDevice> current = inventoryReader.read();
      devices = current;
      xids.watch(current);
      return current.stream().map(NvmlDevice::info).toList();
    } finally {
      read.unlock();
    }
  }

  @Override
  public List<GpuSample> sample() {
    Lock read = openLock();
    try {
      xids.drain();
      return devices.stream()
          .map(d -> sampler.sample(d, xids.of(d.info().index()), xids.criticalXid(d.info().index())))
          .toList();
    } finally {
      read.unlock();
    }
  }

  /** Shuts NVML down once; later calls do nothing. */
  @Override
  public void close() {
    Lock write = lock.writeLock();
    write.lock();
    try {
      if (!closed) {
        closed = true;
        xids.close();
        shutdownQuietly(nvml);
      }
    } finally {
      write.unlock();
    }
  }

  /** The read lock, held, or an exception when the backend is closed. */
  private Lock openLock() {
    Lock read = lock.readLock();
    read.lock();
    if (closed) {
      read.unlock();
      throw new IllegalStateException("the NVML backend is closed");
    }
    return read;
  }

  private static String describe(Nvml nvml) {
    return "NVML " + versionOrUnknown(nvml::nvmlVersion, UNKNOWN_VERSION) + ", driver "
        + versionOrUnknown(nvml::driverVersion, UNKNOWN_VERSION);
  }

  private static final String UNKNOWN_VERSION = "(version unknown)";

  private static String versionOrUnknown(Supplier<String> version, String unknown) {
    try {
      return version.get();
    } catch (NvmlException e) {
      return unknown;
    }
  }

  private static void shutdownQuietly(Nvml nvml) {
    try {
      nvml.shutdown();
    } catch (NvmlException e) {
      // Nothing is left to release on the agent's side, and the process is usually exiting.
    }
  }

  /**
   * JNA's message opens with a header, then the dynamic linker's error once per place it tried,
   * then the whole class path; the linker's first line is the one that says what is wrong.
   */
  private static String linkerError(String message) {
    if (message == null) {
      return "no reason given";
    }
    return message
        .lines()
        .map(String::strip)
        .filter(line -> !line.isEmpty() && !line.startsWith("Unable to load library"))
        .findFirst()
        .orElse(message.strip());
  }
}
