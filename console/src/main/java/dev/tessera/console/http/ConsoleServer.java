package dev.tessera.console.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.extender.net.NettyListener;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Workloads API's HTTP server: Netty for the connections, a worker pool for the routes. */
public final class ConsoleServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);
  /** The largest request body: a workload's submission is a few kilobytes. */
  private static final int MAX_BODY_BYTES = 1 << 20;
  private static final int WORKERS = 16;

  private final Router router;
  private final ObjectMapper json;
  private final NettyListener listener;
  private final ExecutorService workers;

  public ConsoleServer(int port, Router router, ObjectMapper json) {
    this.router = router;
    this.json = json;
    this.listener = new NettyListener(new NettyListener.Settings(
        "tessera-console", "the console server", "the Workloads API", port, "--port", 2, 256, true));
    this.workers = Executors.newFixedThreadPool(WORKERS, new DefaultThreadFactory("tessera-console", true));
  }

  public void start() {
    listener.start(channel -> channel.pipeline()
        .addLast("http", new HttpServerCodec())
        .addLast("aggregate", new HttpObjectAggregator(MAX_BODY_BYTES))
        .addLast("routes", new ConsoleHandler(router, workers, json)));
    log.info("Workloads API listening on port {}: /api/v1/workloads, the API's description at /openapi.yaml and"
        + " /docs/", port());
  }

  public int port() {
    return listener.port();
  }

  @Override
  public void close() {
    listener.close();
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
