package dev.tessera.extender.http;

import dev.tessera.extender.net.OversizedBodyAggregator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Refuses request bodies over {@code --max-request-bytes} with an HTTP 400 and a JSON reason (not
 * Netty's bare 413), which is what kube-scheduler's event for the pod will show. The usual cause is
 * full-node mode on a large cluster.
 */
final class BodyLimitAggregator extends OversizedBodyAggregator {
  private final Refusals refusals;

  BodyLimitAggregator(int maxRequestBytes, Refusals refusals) {
    super(maxRequestBytes, true);
    this.refusals = refusals;
  }

  @Override
  protected ChannelFuture refuse(ChannelHandlerContext ctx, HttpMessage oversized) {
    long start = System.nanoTime();
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
    return refusals.refuse(ctx, route, response, reason, true, start);
  }
}
