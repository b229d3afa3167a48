package dev.tessera.cli;

import picocli.CommandLine.Command;

/** {@code tessera run KIND NAME}: brings back a workload stopped with {@code tessera stop}, same spec. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {"Start a stopped workload again (spec.stopped: false).", ""})
final class RunCommand extends StoppedSwitch {
  RunCommand() {
    super(false);
  }
}
