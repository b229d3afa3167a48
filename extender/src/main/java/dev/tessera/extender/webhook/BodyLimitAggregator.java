package dev.tessera.extender.webhook;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Collects a request body up to {@code --max-request-bytes} and refuses larger ones with an HTTP
 * 400 and a JSON reason (not Netty's bare 413), which is what kube-scheduler's event for the pod
 * will show. The usual cause is full-node mode on a large cluster.
 *
 * <p>After refusing, the connection is closed without resetting it: the server stops writing, reads
 * and discards whatever the client still sends of the body, and closes when the client does, or
 * after {@link #LINGER_SECONDS}. Closing at once, with the body still arriving, would reset the
 * connection and the client could lose the answer.
 */
final class BodyLimitAggregator extends HttpObjectAggregator {
  static final long LINGER_SECONDS = 10;

  private final Refusals refusals;
  private boolean refused;

  BodyLimitAggregator(int maxRequestBytes, Refusals refusals) {
    super(maxRequestBytes, true);
    this.refusals = refusals;
  }

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
    // A client that asks "Expect: 100-continue" for a too-large body gets the same 400 as one
    // that just sends it.
    if (isContentLengthInvalid(start, maxContentLength)) {
      return null;
    }
    return super.newContinueResponse(start, maxContentLength, pipeline);
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    long start = System.nanoTime();
    refused = true;
    Route route = oversized instanceof HttpRequest request ? Route.of(request.uri()) : null;
    long declared = HttpUtil.getContentLength(oversized, -1L);
    String size = declared > maxContentLength() ? "of " + declared + " bytes " : "";
    String reason =
        "request body "
            + size
            + "exceeds the limit of "
            + maxContentLength()
            + " (--max-request-bytes); use nodeCacheCapable: true";
    FullHttpResponse response = refusals.response(ctx, HttpResponseStatus.BAD_REQUEST, reason);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    refusals
        .refuse(ctx, route, response, reason, true, start)
        .addListener(
            (ChannelFutureListener)
                written -> {
                  if (!written.isSuccess() || !(written.channel() instanceof DuplexChannel)) {
                    written.channel().close();
                    return;
                  }
                  ((DuplexChannel) written.channel()).shutdownOutput();
                  written
                      .channel()
                      .eventLoop()
                      .schedule(() -> written.channel().close(), LINGER_SECONDS, TimeUnit.SECONDS);
                });
  }
}
