package dev.tessera.extender.telemetry;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC server node agents stream their reports to. */
public final class NodeReportServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeReportServer.class);
  /** A report is a few KiB; anything near this is not a report. */
  private static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  private final Server server;
  private final ReportConfig config;

  public NodeReportServer(ReportConfig config, AgentReports reports, MeterRegistry registry) {
    this.config = config;
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.port()))
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            // Agents keep one stream open for days; let them ping to keep NATs and proxies honest.
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .addService(new NodeReportService(reports, config, registry))
            .build();
  }

  /** @throws IllegalStateException when the port cannot be bound, with what to do about it */
  public NodeReportServer start() {
    try {
      server.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "the extender could not listen for node agent reports on port " + config.port() + " ("
              + e.getMessage() + "); free the port or pick another with --report-port",
          e);
    }
    log.info("listening for node agent reports on port {} (gRPC tessera.agent.v1.NodeReports)", port());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
