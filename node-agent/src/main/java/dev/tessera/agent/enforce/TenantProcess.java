package dev.tessera.agent.enforce;

/**
 * One process of a container attached to one GPU, from its slot in the container's usage file.
 *
 * @param pid the process's pid in its own pid namespace (the container's)
 * @param usedBytes GPU memory the process holds on this GPU
 * @param startTime its start time in clock ticks since boot: the same in every pid namespace, so
 *     it tells the process from a later one with the same pid
 * @param pidNamespace the inode of its pid namespace, 0 when the library could not read it
 * @param oomCount allocations the native library refused it (at the limit, or after waiting in
 *     vain for a loan to come back)
 * @param wantedBytes what its allocations within the request wait for now
 */
public record TenantProcess(int pid, long usedBytes, long startTime, long pidNamespace, long oomCount, long wantedBytes) {
  public TenantProcess {
    if (pid <= 0 || usedBytes < 0 || oomCount < 0 || wantedBytes < 0) {
      throw new IllegalArgumentException("a process slot needs pid > 0 and figures >= 0, was pid=" + pid
          + " used=" + usedBytes + " oom=" + oomCount + " wanted=" + wantedBytes);
    }
  }

  /** A process that waits for nothing. */
  public TenantProcess(int pid, long usedBytes, long startTime, long pidNamespace, long oomCount) {
    this(pid, usedBytes, startTime, pidNamespace, oomCount, 0);
  }
}
