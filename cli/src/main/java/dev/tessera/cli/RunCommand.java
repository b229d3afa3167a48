package dev.tessera.cli;

import picocli.CommandLine.Command;

/** {@code tessera run KIND NAME}: brings back a workload stopped with {@code tessera stop}, same spec. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {"Start a stopped workload again (spec.stopped: false).",
      "An external workload runs while its owner (the Job, PyTorchJob, ... that runs it) does: the refusal"
          + " says so.", ""})
final class RunCommand extends StoppedSwitch {
  RunCommand() {
    super(false);
  }
}
