package dev.tessera.cli;

import picocli.CommandLine.Command;

/** {@code tessera stop KIND NAME}: frees its GPUs while keeping the definition, to start again with {@code tessera run}. */
@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {"Stop a workload: its pods go, its definition stays (spec.stopped: true).",
      "An external workload is stopped through its owner (the Job, PyTorchJob, ... that runs it): the"
          + " refusal says how.", ""})
final class StopCommand extends StoppedSwitch {
  StopCommand() {
    super(true);
  }
}
