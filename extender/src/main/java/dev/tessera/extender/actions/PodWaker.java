package dev.tessera.extender.actions;

import dev.tessera.extender.model.PodKey;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes kube-scheduler try pending pods again now. A pod an extender refused waits in
 * kube-scheduler's unschedulable queue until a cluster event one of kube-scheduler's own plugins
 * cares about, or for up to five minutes; an update to the pod itself always moves it back to
 * the active (or backoff) queue. So the waker writes the annotation {@value #ANNOTATION} (the
 * time of the wake) on each pod it is given.
 *
 * <p>Callers never block: pods are queued, each at most once while waiting, and patched on the
 * waker's own thread at no more than {@code perSecond}, so a burst of wakes after an outage does
 * not crowd the API server. The patch carries the pod's UID, so a pod deleted and recreated under
 * the same name is left alone. Failures are logged at DEBUG (a pod deleted meanwhile is routine).
 */
public final class PodWaker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodWaker.class);

  /** Written on a pending pod to move it out of kube-scheduler's unschedulable queue. */
  public static final String ANNOTATION = "tessera.dev/requeued-at";

  private record Wake(PodKey pod, String why) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final long intervalNanos;
  private final Map<String, Wake> queued = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<String> order = new LinkedBlockingQueue<>();
  private final Counter woken;
  private final Counter failed;
  private final Thread worker;
  private volatile boolean closed;

  public PodWaker(KubernetesClient client, Clock clock, MeterRegistry registry, int perSecond) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (perSecond <= 0) {
      throw new IllegalArgumentException("the wake rate must be positive, was " + perSecond);
    }
    this.intervalNanos = Duration.ofSeconds(1).toNanos() / perSecond;
    this.woken = Counter.builder("tessera.pods.requeued")
        .description("Pending pods the extender had kube-scheduler try again, because what it refused them for went away")
        .register(registry);
    this.failed = Counter.builder("tessera.pods.requeue.failures")
        .description("Wakes of pending pods the API server refused (most often: the pod was deleted meanwhile)")
        .register(registry);
    this.worker = new Thread(this::run, "tessera-pod-waker");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  /** Queues the pod to be tried again by kube-scheduler; a pod already queued is not queued twice. */
  public void wake(PodKey pod, String why) {
    if (closed) {
      return;
    }
    if (queued.putIfAbsent(pod.uid(), new Wake(pod, why)) == null) {
      order.add(pod.uid());
    }
  }

  /** Pods queued and not yet patched. */
  public int backlog() {
    return queued.size();
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
  }

  private void run() {
    long next = System.nanoTime();
    while (!closed) {
      try {
        String uid = order.poll(1, TimeUnit.SECONDS);
        if (uid == null) {
          continue;
        }
        Wake wake = queued.remove(uid);
        if (wake == null) {
          continue;
        }
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        next = Math.max(next, System.nanoTime()) + intervalNanos;
        patch(wake);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("could not wake a pending pod: {}", e.toString(), e);
      }
    }
  }

  private void patch(Wake wake) {
    PodKey pod = wake.pod();
    String body = Serialization.asJson(Map.of("metadata", Map.of(
        "uid", pod.uid(), "annotations", Map.of(ANNOTATION, clock.instant().toString()))));
    try {
      client.pods().inNamespace(pod.namespace()).withName(pod.name())
          .patch(PatchContext.of(PatchType.JSON_MERGE), body);
      woken.increment();
      log.debug("asked kube-scheduler to try pod {} again: {}", pod, wake.why());
    } catch (KubernetesClientException e) {
      failed.increment();
      log.debug("could not wake pod {} ({}): HTTP {} {}", pod, wake.why(), e.getCode(), e.getMessage());
    }
  }
}
