package dev.tessera.extender.net;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Collects a request body up to a limit and lets the server answer a larger one in its own words
 * ({@link #refuse}), then closes the connection without resetting it: the server stops writing,
 * reads and discards whatever the client still sends of the body, and closes when the client does,
 * or after {@link #LINGER_SECONDS}. Closing at once, with the body still arriving, resets the
 * connection, and the client loses the answer it was sent ("header parser received no bytes").
 */
public abstract class OversizedBodyAggregator extends HttpObjectAggregator {
  public static final long LINGER_SECONDS = 10;

  private final boolean halfClose;
  private boolean refused;

  /**
   * @param halfClose shut the output down once the answer is written; off under TLS, where a bare
   *     TCP half-close would cut the session without its close_notify and the client is told to
   *     close by {@code Connection: close} anyway
   */
  protected OversizedBodyAggregator(int maxRequestBytes, boolean halfClose) {
    super(maxRequestBytes, true);
    this.halfClose = halfClose;
  }

  /** Writes the refusal, marked {@code Connection: close}; the connection is closed for it. */
  protected abstract ChannelFuture refuse(ChannelHandlerContext ctx, HttpMessage oversized);

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (refused) {
      ReferenceCountUtil.release(msg); // the rest of the refused body, or anything after it
      return;
    }
    super.channelRead(ctx, msg);
  }

  @Override
  protected Object newContinueResponse(
      HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    // A client that asks "Expect: 100-continue" for a too-large body gets the same answer as one
    // that just sends it.
    if (isContentLengthInvalid(start, maxContentLength)) {
      return null;
    }
    return super.newContinueResponse(start, maxContentLength, pipeline);
  }

  @Override
  protected final void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    refused = true;
    refuse(ctx, oversized)
        .addListener(
            (ChannelFutureListener)
                written -> {
                  if (!written.isSuccess()) {
                    written.channel().close();
                    return;
                  }
                  if (halfClose && written.channel() instanceof DuplexChannel duplex) {
                    duplex.shutdownOutput();
                  }
                  written
                      .channel()
                      .eventLoop()
                      .schedule(() -> written.channel().close(), LINGER_SECONDS, TimeUnit.SECONDS);
                });
  }
}
