package dev.tessera.agent.deviceplugin;

import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateResponse;
import dev.tessera.proto.deviceplugin.v1beta1.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a container gets for a {@link PodClaim}: the GPUs it sees and, for shared GPUs, the native
 * library that enforces its memory limits.
 *
 * <ul>
 *   <li>Always: {@code NVIDIA_VISIBLE_DEVICES} = the claimed GPUs' UUIDs, comma-separated, in the
 *       assignment's order (the NVIDIA container runtime exposes exactly those).
 *   <li>Shared GPUs also: {@code TESSERA_GPU_MEMORY_LIMITS} = the memory limit in bytes of each
 *       visible GPU, same order; {@code TESSERA_GPU_MEMORY_REQUESTS} = what the pod was placed by on
 *       each (below the limit for a dynamic fraction: the rest is on loan); {@code TESSERA_USAGE_DIR} = {@value #USAGE_DIR_IN_CONTAINER},
 *       mounted read-write from {@code <stateDir>/usage/<pod-uid>} on the host (where the agent
 *       reads the usage back); {@code LD_PRELOAD} = the library, from {@code <installDir>/lib}
 *       mounted read-only at {@value #LIB_DIR_IN_CONTAINER}; {@code NVIDIA_DRIVER_CAPABILITIES} =
 *       {@code compute,utility}; {@code CUDA_DEVICE_ORDER} = {@code PCI_BUS_ID}, so CUDA numbers the
 *       GPUs in the order the limits list them.
 *   <li>Paced shared GPUs also: {@code TESSERA_GPU_COMPUTE_SHARES} = each visible GPU's compute
 *       share in percent, same order (100 where not paced); absent when no GPU is paced (whole
 *       GPUs, a pod that opted out with {@code tessera.dev/compute-share: none}).
 *   <li>Placed on GPU memory swap also: {@code TESSERA_GPU_SWAP} = {@code 1} and {@code
 *       TESSERA_GPU_SWAP_HOST_BYTES} = the host memory placement counted for the container on
 *       each visible GPU, in bytes, same order (0 where it needed none): what the library may keep
 *       of the container's GPU memory in host memory.
 * </ul>
 */
final class ContainerSettings {
  private static final Logger log = LoggerFactory.getLogger(ContainerSettings.class);
  static final String VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";
  static final String DRIVER_CAPABILITIES = "NVIDIA_DRIVER_CAPABILITIES";
  static final String MEMORY_LIMITS = "TESSERA_GPU_MEMORY_LIMITS";
  static final String MEMORY_REQUESTS = "TESSERA_GPU_MEMORY_REQUESTS";
  static final String USAGE_DIR = "TESSERA_USAGE_DIR";
  static final String LD_PRELOAD = "LD_PRELOAD";
  static final String CUDA_DEVICE_ORDER = "CUDA_DEVICE_ORDER";
  static final String COMPUTE_SHARES = "TESSERA_GPU_COMPUTE_SHARES";
  static final String GPU_SWAP = "TESSERA_GPU_SWAP";
  static final String GPU_SWAP_HOST_BYTES = "TESSERA_GPU_SWAP_HOST_BYTES";

  static final String USAGE_DIR_IN_CONTAINER = "/var/run/tessera/usage";
  static final String LIB_DIR_IN_CONTAINER = "/usr/local/tessera/lib";
  static final String LIBRARY = "libtessera-cuda.so";

  // Pod UIDs are UUIDs; anything else must not become a path.
  private static final Pattern UID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,62}");

  private final Path stateDir;
  private final Path installDir;

  ContainerSettings(Path stateDir, Path installDir) {
    this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
    this.installDir = Objects.requireNonNull(installDir, "installDir");
  }

  ContainerAllocateResponse forClaim(PodClaim claim) {
    ContainerAllocateResponse.Builder response = ContainerAllocateResponse.newBuilder();
    response.putEnvs(VISIBLE_DEVICES, claim.gpus().stream().map(VisibleGpu::uuid).collect(Collectors.joining(",")));
    if (claim.exclusive()) {
      return response.build();
    }
    response
        .putEnvs(MEMORY_LIMITS,
            claim.gpus().stream().map(g -> Long.toString(g.memoryLimitBytes())).collect(Collectors.joining(",")))
        .putEnvs(MEMORY_REQUESTS,
            claim.gpus().stream().map(g -> Long.toString(g.memoryRequestBytes())).collect(Collectors.joining(",")))
        .putEnvs(USAGE_DIR, USAGE_DIR_IN_CONTAINER)
        .putEnvs(LD_PRELOAD, LIB_DIR_IN_CONTAINER + "/" + LIBRARY)
        .putEnvs(DRIVER_CAPABILITIES, "compute,utility")
        // CUDA's default order is fastest first; the library's limits and usage files are per
        // ordinal in the order of NVIDIA_VISIBLE_DEVICES, which lists the GPUs in PCI bus order.
        .putEnvs(CUDA_DEVICE_ORDER, "PCI_BUS_ID")
        .addMounts(Mount.newBuilder()
            .setContainerPath(USAGE_DIR_IN_CONTAINER)
            .setHostPath(usageDir(claim.pod()).toString())
            .setReadOnly(false))
        .addMounts(Mount.newBuilder()
            .setContainerPath(LIB_DIR_IN_CONTAINER)
            .setHostPath(installDir.resolve("lib").toString())
            .setReadOnly(true));
    if (claim.gpus().stream().anyMatch(VisibleGpu::paced)) {
      response.putEnvs(COMPUTE_SHARES,
          claim.gpus().stream().map(g -> Integer.toString(g.computeSharePercent())).collect(Collectors.joining(",")));
    }
    if (claim.gpus().stream().anyMatch(g -> g.swapBytes() > 0)) {
      response
          .putEnvs(GPU_SWAP, "1")
          .putEnvs(GPU_SWAP_HOST_BYTES,
              claim.gpus().stream().map(g -> Long.toString(g.swapBytes())).collect(Collectors.joining(",")));
    }
    return response.build();
  }

  /** The host directory the pod's usage files go to. */
  Path usageDir(PodRef pod) {
    if (!UID.matcher(pod.uid()).matches()) {
      throw new IllegalArgumentException("pod " + pod + " has a UID that cannot name a directory: " + pod.uid());
    }
    return stateDir.resolve("usage").resolve(pod.uid());
  }

  /**
   * Creates the pod's usage directory, writable by any user: the container's processes run as
   * whatever user the image says. Container runtimes create a missing mount source as root-only,
   * so the agent makes it first.
   */
  void createUsageDir(PodRef pod) throws IOException {
    Path dir = Files.createDirectories(usageDir(pod));
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system (a developer's machine); nothing to widen
    }
  }

  /** Deletes the pod's usage directory, if it has one; logs rather than throws. */
  void removeUsageDir(PodRef pod) {
    if (!UID.matcher(pod.uid()).matches()) {
      return;
    }
    Path dir = stateDir.resolve("usage").resolve(pod.uid());
    try (var files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(dir);
    } catch (NoSuchFileException e) {
      // never had one: a whole-GPU pod, or another node's
    } catch (IOException e) {
      log.warn("could not remove the usage directory {} of deleted pod {}: {}", dir, pod, e.toString());
    }
  }

  /**
   * Creates the pod's usage directory and records in it whose it is and which GPU each CUDA
   * ordinal is ({@link ClaimRecord}): the usage files the native library writes there say only
   * "device 0", and the agent needs the pod and the GPU to export them.
   */
  void recordClaim(PodClaim claim) throws IOException {
    createUsageDir(claim.pod());
    ClaimRecord.write(usageDir(claim.pod()), claim);
  }
}
