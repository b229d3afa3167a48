package dev.tessera.agent.enforce;

import java.util.OptionalLong;

/** Finding a container's process on the host, and killing it. */
public interface Processes {

  /**
   * The host pid of the process a usage-file slot names, or empty when it is gone. The slot's pid
   * is in the container's pid namespace; the agent sees the host's.
   */
  OptionalLong hostPid(GpuTenant tenant, TenantProcess process);

  /** Sends SIGKILL; false when the process was already gone or may not be signalled. */
  boolean kill(long hostPid);
}
