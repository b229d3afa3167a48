package dev.tessera.agent.gpu;

/** What can go wrong with a simulated GPU, as NVML reports it on a real node. */
public enum SimulatedFault {
  /** Fell off the bus (NVML's GPU_IS_LOST): the GPU needs a reset or a reboot. */
  LOST("GPU is lost"),
  /** NVML refuses the agent (NO_PERMISSION), e.g. device cgroups or a missing device node. */
  NO_PERMISSION("no permission");

  private final String reason;

  SimulatedFault(String reason) {
    this.reason = reason;
  }

  /** The unhealthy reason a sample gives. */
  public String reason() {
    return reason;
  }
}
