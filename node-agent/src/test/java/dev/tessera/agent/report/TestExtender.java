package dev.tessera.agent.report;

import dev.tessera.proto.agent.v1.NodeReport;
import dev.tessera.proto.agent.v1.NodeReportsGrpc;
import dev.tessera.proto.agent.v1.ReportAck;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A real gRPC NodeReports server on loopback that records reports and answers as told. */
public final class TestExtender implements AutoCloseable {
  public static final ReportAck ACCEPT = ReportAck.newBuilder().setAccepted(true).build();

  public final BlockingQueue<NodeReport> reports = new LinkedBlockingQueue<>();
  public final AtomicInteger streams = new AtomicInteger();
  public final AtomicInteger halfClosed = new AtomicInteger();
  /** The ack for a report; null sends none. */
  public volatile Function<NodeReport, ReportAck> answer = r -> ACCEPT;

  private int port;
  private Server server;

  private TestExtender() {}

  /** @param port 0 picks a free one */
  public static TestExtender start(int port) throws IOException {
    TestExtender e = new TestExtender();
    e.server = e.newServer(port).start();
    e.port = e.server.getPort();
    return e;
  }

  private Server newServer(int bindPort) {
    return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), bindPort))
        .addService(new Service())
        .build();
  }

  public int port() {
    return port;
  }

  /** Stops like a crashed extender: every stream fails at once. */
  public void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Serves again on the same port. */
  public void restart() throws IOException {
    server = newServer(port).start();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Service extends NodeReportsGrpc.NodeReportsImplBase {
    @Override
    public StreamObserver<NodeReport> report(StreamObserver<ReportAck> acks) {
      TestExtender state = TestExtender.this;
      state.streams.incrementAndGet();
      return new StreamObserver<>() {
        @Override
        public void onNext(NodeReport report) {
          state.reports.add(report);
          ReportAck ack = state.answer.apply(report);
          if (ack != null) {
            acks.onNext(ack);
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          state.halfClosed.incrementAndGet();
          acks.onCompleted();
        }
      };
    }
  }
}
