package dev.tessera.cli;

import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadPhase;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.api.workloads.WorkloadStatus.PhaseChange;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code --wait}: prints each phase change of one workload until it is Running, Completed,
 * Stopped or Failed. Changes are read from {@code status.phaseHistory}, so none is missed even when
 * two happen between reads; a watch only says when to read again, and a poll every two seconds
 * covers a watch that drops.
 */
final class PhaseWait {
  private static final Duration POLL = Duration.ofSeconds(2);

  private final KubernetesClient client;
  private final WorkloadKind kind;
  private final String namespace;
  private final String name;
  private final PrintWriter out;

  PhaseWait(KubernetesClient client, WorkloadKind kind, String namespace, String name, PrintWriter out) {
    this.client = client;
    this.kind = kind;
    this.namespace = namespace;
    this.name = name;
    this.out = out;
  }

  /** 0 once it runs (or completed or was stopped); a {@link CliException} when it failed or time ran out. */
  int await(Duration timeout) throws InterruptedException {
    BlockingQueue<Boolean> changed = new LinkedBlockingQueue<>();
    long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    Watch watch = Workloads.watch(client, kind, namespace, name, () -> changed.offer(Boolean.TRUE));
    try {
      int printed = 0;
      String last = null;
      while (true) {
        WorkloadResource<?> workload = Workloads.get(client, kind, namespace, name);
        if (workload == null) {
          throw CliException.failed(kind.label() + " '" + name + "' was deleted while waiting");
        }
        WorkloadStatus status = workload.statusOrEmpty();
        List<PhaseChange> history = status.phaseHistory() == null ? List.of() : status.phaseHistory();
        for (int i = printed; i < history.size(); i++) {
          PhaseChange change = history.get(i);
          print(change.phase(), change.reason(), change.message());
          last = change.phase();
        }
        printed = Math.max(printed, history.size());
        if (status.phase() != null && !status.phase().equals(last)) {
          print(status.phase(), status.reason(), null);
          last = status.phase();
        }
        WorkloadPhase phase = status.workloadPhase();
        if (phase == WorkloadPhase.FAILED) {
          String why = history.isEmpty() ? null : history.get(history.size() - 1).message();
          throw CliException.failed(kind.label() + " '" + name + "' failed: "
              + (status.reason() == null ? "no reason given" : status.reason()) + (why == null ? "" : ": " + why));
        }
        if (phase == WorkloadPhase.RUNNING || phase == WorkloadPhase.COMPLETED || phase == WorkloadPhase.STOPPED) {
          return 0;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw CliException.failed("gave up waiting after " + timeout.toSeconds() + "s; " + kind.label() + " '"
              + name + "' is " + (status.phase() == null ? "without a phase yet" : status.phase()));
        }
        changed.poll(Math.min(left, POLL.toNanos()), TimeUnit.NANOSECONDS);
        changed.clear();
      }
    } finally {
      if (watch != null) {
        watch.close();
      }
    }
  }

  private void print(String phase, String reason, String message) {
    StringBuilder line = new StringBuilder(phase);
    if (reason != null) {
      line.append("  ").append(reason);
    }
    if (message != null) {
      line.append(": ").append(message);
    }
    out.println(line);
    out.flush();
  }
}
