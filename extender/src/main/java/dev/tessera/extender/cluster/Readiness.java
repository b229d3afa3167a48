package dev.tessera.extender.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the extender may decide anything: set once nodes, pods and the scheduling-policy
 * resources have all been listed and the first project figures computed. Until then a full node
 * can look empty (node events arrive before the pods on it are listed) and an existing pod group
 * can look missing, so scheduling verbs wait for it instead of answering.
 */
public final class Readiness {
  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

  private volatile boolean ready;
  private final List<Runnable> onReady = new CopyOnWriteArrayList<>();

  public boolean ready() {
    return ready;
  }

  /** Runs {@code action} once ready: at once if it is already, else on the thread that marks it. */
  public void onReady(Runnable action) {
    onReady.add(action);
    if (ready && onReady.remove(action)) {
      run(action);
    }
  }

  /** Marks the extender ready and runs what waited for it; later calls do nothing. */
  public void markReady() {
    if (ready) {
      return;
    }
    ready = true;
    for (Runnable action : onReady) {
      if (onReady.remove(action)) {
        run(action);
      }
    }
  }

  private static void run(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.error("a task waiting for the extender to be ready failed: {}", e.toString(), e);
    }
  }
}
