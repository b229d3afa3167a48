package dev.tessera.agent.gpu.nvml;

import java.util.Objects;
import java.util.Optional;

/**
 * What {@link NvmlGpuBackend#open} found: a working backend, or why NVML is not available here.
 * A node without NVIDIA GPUs is an ordinary answer, not an error, so it is a result rather than an
 * exception.
 *
 * @param backend present exactly when {@code status} is {@link Status#LOADED}
 * @param reason why NVML is not available, for the log line; empty when loaded
 */
public record NvmlOpenResult(Status status, Optional<NvmlGpuBackend> backend, String reason) {

  public enum Status {
    LOADED,
    /** libnvidia-ml could not be loaded: no driver installed, or not mounted into the container. */
    LIBRARY_NOT_FOUND,
    /** The library is there but the kernel driver is not loaded. */
    DRIVER_NOT_LOADED,
    /** NVML loaded but would not start or count the GPUs. */
    INIT_FAILED
  }

  public NvmlOpenResult {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(reason, "reason");
    if ((status == Status.LOADED) != backend.isPresent()) {
      throw new IllegalArgumentException("a backend comes with LOADED and only with it");
    }
    if ((status == Status.LOADED) != reason.isEmpty()) {
      throw new IllegalArgumentException("an unavailable NVML needs a reason, a loaded one none");
    }
  }

  static NvmlOpenResult loaded(NvmlGpuBackend backend) {
    return new NvmlOpenResult(Status.LOADED, Optional.of(backend), "");
  }

  static NvmlOpenResult unavailable(Status status, String reason) {
    return new NvmlOpenResult(status, Optional.empty(), reason);
  }

  public boolean loaded() {
    return status == Status.LOADED;
  }

  /** The backend, for callers that cannot go on without NVML. */
  public NvmlGpuBackend orElseThrow() {
    return backend.orElseThrow(() -> new IllegalStateException(reason));
  }
}
