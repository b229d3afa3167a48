package dev.tessera.extender.webhook;

import dev.tessera.extender.ExtenderConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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

  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private ExecutorService scrapeExecutor;
  private Channel serverChannel;
  private boolean closed;

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
            new WireReader(handler.knownNodeNames()),
            writer,
            Objects.requireNonNull(registry, "registry"));
    this.metrics = new ExtenderMetrics(registry);
    this.refusals = new Refusals(new Replies(writer), metrics);
  }

  /**
   * Listens on {@code config.port()} on all interfaces (0 picks a free port; see {@link #port}).
   *
   * @throws IllegalStateException when the port cannot be bound, or the server was started or
   *     closed before
   */
  public synchronized void start() {
    if (serverChannel != null || closed) {
      throw new IllegalStateException("the extender server can be started once");
    }
    boss = new NioEventLoopGroup(1, new DefaultThreadFactory("tessera-http-accept", true));
    workers =
        new NioEventLoopGroup(
            Runtime.getRuntime().availableProcessors(),
            new DefaultThreadFactory("tessera-http-io", true));
    // Scrapes walk every meter; keep that off the I/O threads that answer filter calls.
    scrapeExecutor =
        Executors.newSingleThreadExecutor(new DefaultThreadFactory("tessera-metrics-scrape", true));
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast("http", new HttpServerCodec())
                        .addLast(
                            "aggregate",
                            new BodyLimitAggregator(config.maxRequestBytes(), refusals))
                        .addLast(
                            "dispatch",
                            new RequestDispatcher(
                                endpoints,
                                metrics,
                                refusals,
                                bindExecutor,
                                scrapeExecutor,
                                offLoop));
                  }
                });
    try {
      serverChannel =
          bootstrap.bind(new InetSocketAddress(config.port())).syncUninterruptibly().channel();
    } catch (Exception e) { // Netty rethrows the bind's IOException undeclared
      shutDownThreads();
      closed = true;
      throw new IllegalStateException(
          "the extender could not listen on port "
              + config.port()
              + " ("
              + e
              + "); free the port or pick another with --port",
          e);
    }
    log.info(
        "Extender listening on port {}: POST /filter /prioritize /bind /preempt for"
            + " kube-scheduler, GET /healthz /readyz /metrics; request bodies up to {} bytes",
        port(),
        config.maxRequestBytes());
  }

  /** The port listened on, which tells tests the one picked for port 0. */
  public synchronized int port() {
    if (serverChannel == null) {
      throw new IllegalStateException("the extender server is not started");
    }
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * Stops accepting connections, waits up to the bind timeout for binds (and scrapes) still running
   * so their answers are written, then closes every connection and stops the threads. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (serverChannel == null) {
      return;
    }
    int port = port();
    serverChannel.close().syncUninterruptibly();
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
    shutDownThreads();
    log.info("Extender on port {} stopped", port);
  }

  private void shutDownThreads() {
    // A short quiet period: the answers worth waiting for were awaited above.
    workers.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 5_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    scrapeExecutor.shutdownNow();
  }
}
