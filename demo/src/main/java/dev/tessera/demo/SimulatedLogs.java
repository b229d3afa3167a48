package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import dev.tessera.mockapi.PodLogs;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * What the demo's containers print, as the simulated kubelets would relay it: a line when the
 * container starts, then one every few seconds that reads like the workload's kind (a training's
 * steps and loss, a notebook's kernel, a server's requests). Derived from the pod's start time and
 * name, so every read of a log agrees with the last and nothing is stored.
 */
final class SimulatedLogs implements PodLogs {
  static final Duration EVERY = Duration.ofSeconds(5);
  /** The most lines a log holds: an hour of them. */
  static final int MOST_LINES = 720;

  private final Clock clock;

  SimulatedLogs(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Optional<String> log(Pod pod, String container) {
    Optional<Instant> started = startedAt(pod, container);
    if (started.isEmpty()) {
      return Optional.empty();
    }
    String kind = pod.getMetadata().getLabels() == null ? ""
        : pod.getMetadata().getLabels().getOrDefault(WellKnown.WORKLOAD_KIND_LABEL, "");
    long lines = Math.min(MOST_LINES, Duration.between(started.get(), clock.instant()).dividedBy(EVERY));
    long first = Math.max(0, Duration.between(started.get(), clock.instant()).dividedBy(EVERY) - lines);
    int seed = pod.getMetadata().getName().hashCode();
    StringBuilder out = new StringBuilder();
    if (first == 0) {
      out.append(started.get().truncatedTo(ChronoUnit.SECONDS)).append(" started ")
          .append(pod.getSpec().getContainers().get(0).getImage()).append(" on ")
          .append(pod.getSpec().getNodeName()).append('\n');
    }
    for (long n = Math.max(1, first); n <= first + lines; n++) {
      Instant at = started.get().plus(EVERY.multipliedBy(n)).truncatedTo(ChronoUnit.SECONDS);
      out.append(at).append(' ').append(line(kind, n, seed)).append('\n');
    }
    return Optional.of(out.toString());
  }

  private static String line(String kind, long n, int seed) {
    return switch (kind) {
      case "training", "distributed-training" -> String.format("step %d  loss %.4f  %d samples/s", n * 20,
          2.5 / Math.sqrt(1 + n * 0.3) + ((seed + n) % 7) * 0.002, 850 + (seed + 31 * n) % 90);
      case "workspace" -> n % 12 == 0 ? "[I] Saving file at /work/notebook.ipynb" : "[I] kernel idle";
      case "inference" -> String.format("INFO \"POST /v1/completions HTTP/1.1\" 200 OK  %d ms", 40 + (seed + 17 * n) % 60);
      default -> "heartbeat " + n;
    };
  }

  /** When the container asked for (or the pod's first) started running; empty while it has not. */
  private static Optional<Instant> startedAt(Pod pod, String container) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(status -> container == null || container.equals(status.getName()))
        .findFirst()
        .map(ContainerStatus::getState)
        .filter(state -> state.getRunning() != null && state.getRunning().getStartedAt() != null)
        .map(state -> Instant.parse(state.getRunning().getStartedAt()));
  }
}
