package dev.tessera.extender.http;

import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.net.NettyListener;
import dev.tessera.extender.verbs.ExtenderHandler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 server kube-scheduler calls as its extender: {@code POST /filter}, {@code
 * /prioritize}, {@code /bind}, {@code /preempt}, plus {@code GET /healthz}, {@code /readyz} and
 * {@code /metrics} for the kubelet and Prometheus. Connections are kept alive, as kube-scheduler's
 * Go client reuses them.
 *
 * <p>Filter, prioritize and preempt are answered on the I/O threads; binds on {@code bindExecutor},
 * which the caller owns and shuts down after closing the server.
 */
public final class ExtenderServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExtenderServer.class);

  private final ExtenderConfig config;
  private final Executor bindExecutor;
  private final ExtenderEndpoints endpoints;
  private final ExtenderMetrics metrics;
  private final Refusals refusals;
  private final OffLoopAnswers offLoop = new OffLoopAnswers();

  private final NettyListener listener;
  // Scrapes walk every meter; keep that off the I/O threads that answer filter calls. Its thread
  // starts with the first scrape.
  private final ExecutorService scrapeExecutor =
      Executors.newSingleThreadExecutor(new DefaultThreadFactory("tessera-metrics-scrape", true));
  // Filter calls whose decision may block (gang members: planning a gang for milliseconds, reading
  // a pod group from the API server) are answered here, never on the I/O threads.
  private final ExecutorService decideExecutor =
      Executors.newFixedThreadPool(2, new DefaultThreadFactory("tessera-decide", true));

  public ExtenderServer(
      ExtenderConfig config,
      ExtenderHandler handler,
      PrometheusMeterRegistry registry,
      Executor bindExecutor) {
    this.config = Objects.requireNonNull(config, "config");
    this.bindExecutor = Objects.requireNonNull(bindExecutor, "bindExecutor");
    WireWriter writer = new WireWriter();
    this.endpoints =
        new ExtenderEndpoints(
            Objects.requireNonNull(handler, "handler"),
            new WireReader(handler::requestedNodes),
            writer,
            Objects.requireNonNull(registry, "registry"));
    this.metrics = new ExtenderMetrics(registry);
    this.refusals = new Refusals(new Replies(writer), metrics);
    this.listener =
        new NettyListener(
            new NettyListener.Settings(
                "tessera-http",
                "the extender server",
                "the extender",
                config.port(),
                "--port",
                Runtime.getRuntime().availableProcessors(), // I/O threads
                1024, // backlog
                true)); // keep-alive, as kube-scheduler reuses its connections
  }

  /**
   * Listens on {@code config.port()} on all interfaces (0 picks a free port; see {@link #port}).
   *
   * @throws IllegalStateException when the port cannot be bound, or the server was started or
   *     closed before
   */
  public synchronized void start() {
    listener.start(
        ch ->
            ch.pipeline()
                .addLast("http", new HttpServerCodec())
                .addLast("aggregate", new BodyLimitAggregator(config.maxRequestBytes(), refusals))
                .addLast(
                    "dispatch",
                    new RequestDispatcher(
                        endpoints, metrics, refusals, bindExecutor, scrapeExecutor, decideExecutor, offLoop,
                        config.unreadyWait())));
    log.info(
        "Extender listening on port {}: POST /filter /prioritize /bind /preempt for"
            + " kube-scheduler, GET /healthz /readyz /syncedz /metrics; request bodies up to {} bytes",
        port(),
        config.maxRequestBytes());
  }

  /** The port listened on, which tells tests the one picked for port 0. */
  public int port() {
    return listener.port();
  }

  /**
   * Stops accepting connections, waits up to the bind timeout for binds (and scrapes) still running
   * so their answers are written, then closes every connection and stops the threads. Idempotent.
   */
  @Override
  public synchronized void close() {
    boolean wasAccepting = listener.isAccepting();
    if (wasAccepting) {
      listener.stopAccepting();
      awaitOffLoopAnswers();
    }
    listener.close();
    scrapeExecutor.shutdownNow();
    decideExecutor.shutdownNow();
    if (wasAccepting) {
      log.info("Extender on port {} stopped", port());
    }
  }

  private void awaitOffLoopAnswers() {
    try {
      if (!offLoop.closeAndAwait(config.bindTimeout())) {
        log.warn(
            "Closing the extender with binds still running after {}; kube-scheduler will see"
                + " those calls fail and retry the pods",
            config.bindTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
