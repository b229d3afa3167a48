package dev.tessera.cli;

import dev.tessera.api.workloads.WorkloadKind;
import picocli.CommandLine.Parameters;

/**
 * The {@code KIND NAME} positionals that name one existing workload, mixed into describe, stop,
 * run, copy and delete so that they read the same, have the same help, and turn a wrong KIND into
 * the same usage error (exit 2, through {@link Kinds.Converter}). A command that takes more
 * positionals gives them indexes from 2 on (copy's NEW_NAME). Submit keeps its own pair: there
 * they name a workload to create, and with {@code -f} both are optional.
 */
public final class WorkloadRef {
  @Parameters(index = "0", paramLabel = "KIND", converter = Kinds.Converter.class, description = "The workload's kind.")
  WorkloadKind kind;

  @Parameters(index = "1", paramLabel = "NAME", description = "The workload's name.")
  String name;
}
