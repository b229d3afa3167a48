package dev.tessera.agent;

import dev.tessera.agent.metrics.Health;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent is healthy while its sampler keeps producing snapshots. A sampler stuck in a hung
 * driver call would otherwise leave stale figures on {@code /metrics} and in reports forever;
 * failing the liveness probe gets the pod restarted instead.
 */
final class SamplerHealth implements Health {
  private static final Duration FLOOR = Duration.ofSeconds(10);

  private final Sampler sampler;
  private final Clock clock;
  private final Duration staleAfter;

  SamplerHealth(Sampler sampler, Clock clock) {
    this.sampler = sampler;
    this.clock = clock;
    Duration five = sampler.period().multipliedBy(5);
    this.staleAfter = five.compareTo(FLOOR) > 0 ? five : FLOOR;
  }

  @Override
  public Optional<String> problem() {
    Duration age = Duration.between(sampler.latest().takenAt(), clock.instant());
    if (age.compareTo(staleAfter) > 0) {
      return Optional.of(
          "no GPU sample for " + age.toSeconds() + " s (sampling every " + sampler.period().toMillis() + " ms)");
    }
    return Optional.empty();
  }
}
