package dev.tessera.extender.informers;

import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a group of informers together and waits until every one has listed its resources. On
 * timeout, failure or interrupt it stops them all and throws an {@link IllegalStateException}
 * naming each informer's state and what to check, so a half-started group never serves.
 */
public final class InformerSync {
  private static final Logger log = LoggerFactory.getLogger(InformerSync.class);

  private InformerSync() {}

  /**
   * @param what the group, as the message names it: "the policy informers"
   * @param informers by name, in the order the message lists them: "nodes", "pods"
   * @param onTimeout what to check when they do not sync in time
   * @param onFailure what to check when one fails to start (bad address, credentials, RBAC)
   */
  public static void startAll(String what, Map<String, ? extends SharedIndexInformer<?>> informers, Duration timeout,
      String onTimeout, String onFailure) {
    Map<String, SharedIndexInformer<?>> group = new LinkedHashMap<>(informers);
    long deadline = System.nanoTime() + timeout.toNanos();
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    group.values().forEach(informer -> starts.add(informer.start().toCompletableFuture()));
    try {
      CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      while (!group.values().stream().allMatch(SharedIndexInformer::hasSynced)) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException();
        }
        Thread.sleep(10);
      }
    } catch (TimeoutException e) {
      stopAll(group.values());
      throw new IllegalStateException(what + " did not sync within " + timeout + ": " + states(group) + ". " + onTimeout);
    } catch (ExecutionException e) {
      stopAll(group.values());
      throw new IllegalStateException(
          what + ": one failed to start (" + states(group) + "): " + e.getCause().getMessage() + ". " + onFailure,
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopAll(group.values());
      throw new IllegalStateException("interrupted while waiting for " + what + " to sync", e);
    }
  }

  /** Stops every informer, going on past one that fails to stop. */
  public static void stopAll(Iterable<? extends SharedIndexInformer<?>> informers) {
    for (SharedIndexInformer<?> informer : informers) {
      try {
        informer.stop();
      } catch (RuntimeException e) {
        log.debug("stopping an informer failed: {}", e.toString());
      }
    }
  }

  /** "nodes synced, pods not synced (still listing)" */
  static String states(Map<String, SharedIndexInformer<?>> group) {
    List<String> out = new ArrayList<>();
    group.forEach((name, informer) -> out.add(name + " " + state(informer)));
    return String.join(", ", out);
  }

  private static String state(SharedIndexInformer<?> informer) {
    if (informer.hasSynced()) {
      return "synced";
    }
    return informer.isRunning() ? "not synced (still listing)" : "not synced (not running)";
  }
}
