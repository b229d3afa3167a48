package dev.tessera.controller.admission;

import dev.tessera.extender.net.NettyListener;
import dev.tessera.extender.net.OversizedBodyAggregator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTPS server the API server calls as the workload policies' admission webhook: {@code POST
 * /validate} and {@code /mutate} (see {@link AdmissionReviewer}). Apart from the extender's plain
 * HTTP server because the API server calls webhooks over TLS only, and on its own small thread
 * pool so a slow handshake never delays a filter call from kube-scheduler.
 *
 * <p>The TLS context is fixed at construction: rotated certificates are not reloaded.
 */
public final class AdmissionServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdmissionServer.class);

  /** The port in deploy/ and the default of {@code --admission-port}. */
  public static final int DEFAULT_PORT = 8443;

  /**
   * An AdmissionReview carries the object and, on UPDATE, the old one; each may be up to etcd's
   * 1.5 MiB. Larger bodies are refused.
   */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

  private final int maxRequestBytes;
  private final SslContext tls;
  private final AdmissionHandler handler;
  private final NettyListener listener;

  /**
   * @param port the port to listen on; 0 picks a free one (see {@link #port})
   */
  public AdmissionServer(int port, int maxRequestBytes, SslContext tls, AdmissionReviewer reviewer) {
    this.listener =
        new NettyListener(
            new NettyListener.Settings(
                "tessera-admission",
                "the admission server",
                "the admission webhook",
                port,
                "--admission-port",
                2, // I/O threads
                128, // backlog
                false)); // keep-alive
    if (maxRequestBytes <= 0) {
      throw new IllegalArgumentException("maxRequestBytes must be positive, got " + maxRequestBytes);
    }
    this.maxRequestBytes = maxRequestBytes;
    this.tls = Objects.requireNonNull(tls, "tls");
    this.handler = new AdmissionHandler(Objects.requireNonNull(reviewer, "reviewer"));
  }

  /**
   * Listens on all interfaces.
   *
   * @throws IllegalStateException when the port cannot be bound, or on a second start
   */
  public synchronized void start() {
    listener.start(
        ch ->
            ch.pipeline()
                .addLast("tls", tls.newHandler(ch.alloc()))
                .addLast("http", new HttpServerCodec())
                .addLast("aggregate", new LimitedAggregator(maxRequestBytes))
                .addLast("review", handler));
    log.info(
        "Admission webhook listening on port {} (HTTPS): POST /validate /mutate for the workload"
            + " kinds; request bodies up to {} bytes",
        port(),
        maxRequestBytes);
  }

  /** The port listened on, which tells tests the one picked for port 0. */
  public int port() {
    return listener.port();
  }

  /** Stops listening and closes every connection; a review is never left half-answered long. */
  @Override
  public synchronized void close() {
    boolean wasAccepting = listener.isAccepting();
    listener.close();
    if (wasAccepting) {
      log.info("Admission webhook on port {} stopped", port());
    }
  }

  /** Refuses bodies over the limit with a JSON 400 (not Netty's bare 413), then closes. */
  private static final class LimitedAggregator extends OversizedBodyAggregator {
    LimitedAggregator(int maxRequestBytes) {
      super(maxRequestBytes, false);
    }

    @Override
    protected ChannelFuture refuse(ChannelHandlerContext ctx, HttpMessage oversized) {
      FullHttpResponse response =
          AdmissionHandler.error(
              HttpResponseStatus.BAD_REQUEST,
              "request body exceeds the admission webhook's limit of " + maxContentLength()
                  + " bytes");
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      return ctx.writeAndFlush(response);
    }
  }
}
