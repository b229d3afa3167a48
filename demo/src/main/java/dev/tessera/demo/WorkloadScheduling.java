package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-scheduler's queue for the workloads' pods: the workload controller makes them with
 * {@code schedulerName: tessera-scheduler} and nobody else in the demo schedules them. Every
 * {@link #PERIOD} the pending ones with no node go through {@link SchedulingDriver#scheduleAll}
 * (filter, prioritize, bind on the extender's endpoints; binds in the background, as a gang's
 * need); a pod refused is tried again after {@link #RETRY}, as kube-scheduler's backoff would.
 *
 * <p>A gang is tried once all the members its PodGroup asks for exist, as the coscheduling
 * plugin's PreFilter waits for them: its first member's filter plans the whole gang.
 *
 * <p>Only pods of workloads (labelled {@code tessera.dev/workload}): the sample pods are the
 * driver's, scheduled once so the demo prints each one's outcome, and the two that can never fit
 * stay pending as examples.
 */
public final class WorkloadScheduling implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadScheduling.class);
  static final Duration PERIOD = Duration.ofMillis(500);
  static final Duration RETRY = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final SchedulingDriver driver;
  private final Clock clock;
  private final ScheduledExecutorService thread;
  /** Pod uid to when, by the clock, a refused pod may be tried again, and why it was refused. */
  private final Map<String, Refusal> refused = new ConcurrentHashMap<>();

  private record Refusal(long retryAt, String reason) {}

  WorkloadScheduling(KubernetesClient client, SchedulingDriver driver, Clock clock, ScheduledExecutorService thread) {
    this.client = Objects.requireNonNull(client, "client");
    this.driver = Objects.requireNonNull(driver, "driver");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.thread = Objects.requireNonNull(thread, "thread");
  }

  /** Schedules workloads' pods from now on, every {@link #PERIOD}. */
  public static WorkloadScheduling start(KubernetesClient client, SchedulingDriver driver, Clock clock) {
    WorkloadScheduling scheduling = new WorkloadScheduling(client, driver, clock,
        Executors.newSingleThreadScheduledExecutor(DemoThreads.daemon("tessera-demo-scheduling")));
    scheduling.thread.scheduleWithFixedDelay(
        scheduling::roundQuietly, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return scheduling;
  }

  private void roundQuietly() {
    try {
      round();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later round.
      log.warn("could not schedule the workloads' pending pods; trying again in {}", PERIOD, e);
    }
  }

  /** One pass of the queue: the pods due, gangs whole; returns the outcomes. */
  List<SchedulingDriver.Outcome> round() throws IOException, InterruptedException {
    long now = clock.millis();
    List<Pod> workloadPods = client.pods().inAnyNamespace().withLabel(WellKnown.WORKLOAD_LABEL).list().getItems()
        .stream().filter(pod -> pod.getMetadata().getDeletionTimestamp() == null).toList();
    Map<String, Integer> gangSizes = new HashMap<>();
    for (Pod pod : workloadPods) {
      String gang = gang(pod);
      if (gang != null) {
        gangSizes.merge(gang, 1, Integer::sum);
      }
    }
    List<Pod> due = new ArrayList<>();
    for (Pod pod : workloadPods) {
      Refusal refusal = refused.get(pod.getMetadata().getUid());
      if (pending(pod) && (refusal == null || refusal.retryAt() <= now) && whole(pod, gangSizes)) {
        due.add(pod);
      }
    }
    refused.keySet().retainAll(workloadPods.stream().filter(WorkloadScheduling::pending)
        .map(pod -> pod.getMetadata().getUid()).toList());
    if (due.isEmpty()) {
      return List.of();
    }
    due.sort(Comparator.comparing((Pod pod) -> pod.getMetadata().getNamespace())
        .thenComparing(pod -> pod.getMetadata().getName()));
    List<SchedulingDriver.Outcome> outcomes = driver.scheduleAll(due);
    for (int i = 0; i < due.size(); i++) {
      SchedulingDriver.Outcome outcome = outcomes.get(i);
      String uid = due.get(i).getMetadata().getUid();
      if (outcome.placed()) {
        refused.remove(uid);
        log.info("scheduled {} -> {}", outcome.pod(), outcome.node());
      } else {
        Refusal before = refused.put(uid, new Refusal(now + RETRY.toMillis(), outcome.reason()));
        if (before == null || !before.reason().equals(outcome.reason())) {
          log.info("{} not placed yet ({}); trying again every {}s", outcome.pod(), outcome.reason(),
              RETRY.toSeconds());
          unschedulable(due.get(i), outcome.reason());
        }
      }
    }
    return outcomes;
  }

  /**
   * As kube-scheduler does for a pod it cannot place: {@code PodScheduled} False, reason
   * Unschedulable, with why, which the workload controller shows as the workload's Pending reason.
   */
  private void unschedulable(Pod pod, String reason) {
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    PodCondition condition = new PodConditionBuilder().withType("PodScheduled").withStatus("False")
        .withReason("Unschedulable").withMessage(reason).withLastTransitionTime(now).build();
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
          .editStatus(current -> {
            if (current.getStatus() == null) {
              current.setStatus(new PodStatus());
            }
            List<PodCondition> conditions = new ArrayList<>(current.getStatus().getConditions() == null
                ? List.of() : current.getStatus().getConditions());
            conditions.removeIf(c -> "PodScheduled".equals(c.getType()));
            conditions.add(condition);
            current.getStatus().setConditions(conditions);
            return current;
          });
    } catch (KubernetesClientException e) {
      // Gone or changed meanwhile: the next round sees it again.
      log.debug("could not mark {} unschedulable: {}", pod.getMetadata().getName(), e.getMessage());
    }
  }

  private static boolean pending(Pod pod) {
    boolean unbound = pod.getSpec().getNodeName() == null || pod.getSpec().getNodeName().isEmpty();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return WellKnown.SCHEDULER_NAME.equals(pod.getSpec().getSchedulerName()) && unbound
        && (phase == null || "Pending".equals(phase));
  }

  /** The pod's gang, namespace/name; null for a pod in none. */
  private static String gang(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String group = labels == null ? null : labels.get(WellKnown.POD_GROUP_LABEL);
    return group == null ? null : pod.getMetadata().getNamespace() + "/" + group;
  }

  /** Whether the pod is alone, or all the members its PodGroup asks for exist. */
  private boolean whole(Pod pod, Map<String, Integer> gangSizes) {
    String gang = gang(pod);
    if (gang == null) {
      return true;
    }
    PodGroupResource group = client.resources(PodGroupResource.class).inNamespace(pod.getMetadata().getNamespace())
        .withName(pod.getMetadata().getLabels().get(WellKnown.POD_GROUP_LABEL)).get();
    if (group == null || group.getSpec() == null) {
      return false; // its PodGroup is on its way: the workload controller makes it first
    }
    int minMember = group.getSpec().minMember() == null ? 1 : group.getSpec().minMember();
    return gangSizes.getOrDefault(gang, 0) >= minMember;
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
