package dev.tessera.agent.kube;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest copy of the pods bound to one node: listed once, then kept up to date by a watch.
 * When the watch ends (the API server closes watches every few minutes, or answers 410 Gone when
 * our version is too old) the pods are listed again and a new watch started; failures back off.
 */
public final class NodePods implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodePods.class);
  private static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);

  private final KubeApi api;
  private final String nodeName;
  private final Duration firstRetry;
  private final Duration maxRetry;
  /** By UID. */
  private final Map<String, PodInfo> pods = new ConcurrentHashMap<>();
  private final List<Consumer<PodInfo>> deleteListeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  /** Guarded by lock. */
  private boolean closed;
  /** Guarded by lock. */
  private KubeApi.Watch watch;
  private volatile String resourceVersion = "";
  private Thread watcher;

  /** With retries after 1 s, doubling up to 30 s. */
  public NodePods(KubeApi api, String nodeName) {
    this(api, nodeName, Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  public NodePods(KubeApi api, String nodeName, Duration firstRetry, Duration maxRetry) {
    this.api = Objects.requireNonNull(api, "api");
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.firstRetry = firstRetry;
    this.maxRetry = maxRetry;
  }

  /** Told of each pod of this node that was deleted, on the watch's thread. Add before start. */
  public void addDeleteListener(Consumer<PodInfo> listener) {
    deleteListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Lists the pods, then watches them in the background.
   *
   * @throws KubeApiException when the first listing fails or takes longer than {@code timeout}
   */
  public void start(Duration timeout) {
    relist(timeout);
    Thread thread = new Thread(this::watchLoop, "pods-of-" + nodeName);
    thread.setDaemon(true); // never what keeps the JVM up
    synchronized (lock) {
      if (closed) {
        return;
      }
      watcher = thread;
    }
    thread.start();
  }

  /** The pods now bound to this node, as last seen. */
  public List<PodInfo> list() {
    return List.copyOf(pods.values());
  }

  @Override
  public void close() {
    Thread thread;
    synchronized (lock) {
      closed = true;
      if (watch != null) {
        watch.close();
      }
      thread = watcher;
    }
    if (thread != null) {
      thread.interrupt();
    }
  }

  private boolean closed() {
    synchronized (lock) {
      return closed;
    }
  }

  private void watchLoop() {
    Duration retry = firstRetry;
    boolean listed = true; // start() just listed
    while (!closed()) {
      try {
        if (!listed) {
          relist(LIST_TIMEOUT);
        }
        listed = false;
        KubeApi.Watch current = api.watchPods(nodeName, resourceVersion, this::apply);
        synchronized (lock) {
          if (closed) {
            current.close();
            return;
          }
          watch = current;
        }
        retry = firstRetry; // connected: a later failure starts backing off afresh
        current.done().get();
        log.debug("the watch on the pods of node {} ended; listing them again", nodeName);
      } catch (InterruptedException e) {
        return; // closed
      } catch (KubeApiException | ExecutionException e) {
        if (closed()) {
          return;
        }
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        log.warn("watching the pods of node {} failed ({}); trying again in {}", nodeName, cause.getMessage(), retry);
        try {
          Thread.sleep(retry.toMillis());
        } catch (InterruptedException stop) {
          return;
        }
        retry = retry.multipliedBy(2).compareTo(maxRetry) > 0 ? maxRetry : retry.multipliedBy(2);
      }
    }
  }

  /** Replaces the copy with a fresh listing; pods that vanished meanwhile count as deleted. */
  private void relist(Duration timeout) {
    KubeApi.PodList listing = api.listPods(nodeName, timeout);
    Set<String> seen = new HashSet<>();
    for (PodInfo pod : listing.pods()) {
      if (pod.uid() != null) {
        seen.add(pod.uid());
        pods.put(pod.uid(), pod);
      }
    }
    for (PodInfo gone : List.copyOf(pods.values())) {
      if (!seen.contains(gone.uid()) && pods.remove(gone.uid()) != null) {
        deleted(gone);
      }
    }
    resourceVersion = listing.resourceVersion();
  }

  private void apply(KubeApi.WatchEvent event) {
    String version = event.object().path("metadata").path("resourceVersion").asText("");
    switch (event.type()) {
      case "ADDED", "MODIFIED" -> {
        PodInfo pod = PodInfo.from(event.object());
        if (pod.uid() == null) {
          break;
        }
        if (nodeName.equals(pod.nodeName())) {
          pods.put(pod.uid(), pod);
        } else if (pods.remove(pod.uid()) != null) {
          deleted(pod); // not ours any more (the server ignored the node selector)
        }
      }
      case "DELETED" -> {
        PodInfo pod = PodInfo.from(event.object());
        if (pod.uid() != null && pods.remove(pod.uid()) != null) {
          deleted(pod);
        }
      }
      case "BOOKMARK" -> { }
      default -> {
        // ERROR: typically 410 Gone, our version is too old. End this watch; the loop relists.
        log.debug("the watch on the pods of node {} reported {}", nodeName, event.object());
        throw new KubeApiException(event.object().path("code").asInt(0),
            "the watch reported " + event.object().path("message").asText(event.type()), null);
      }
    }
    if (!version.isEmpty()) {
      resourceVersion = version;
    }
  }

  private void deleted(PodInfo pod) {
    for (Consumer<PodInfo> listener : deleteListeners) {
      try {
        listener.accept(pod);
      } catch (RuntimeException e) {
        log.warn("a listener failed on the deletion of pod {}/{}: {}", pod.namespace(), pod.name(), e.toString());
      }
    }
  }
}
