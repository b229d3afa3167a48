package dev.tessera.agent.metrics;

import java.util.Optional;

/** What {@code /healthz} answers: empty when the agent is healthy, else why it is not. */
@FunctionalInterface
public interface Health {
  Health ALWAYS = Optional::empty;

  Optional<String> problem();
}
