package dev.tessera.extender.webhook;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request the server will not serve (bad body, unknown path, wrong method, too large)
 * with a JSON reason, and logs and counts it once. A refusal is the caller's mistake, so it is one
 * WARN line without a stack trace.
 */
final class Refusals {
  private static final Logger log = LoggerFactory.getLogger(Refusals.class);

  private final Replies replies;
  private final ExtenderMetrics metrics;

  Refusals(Replies replies, ExtenderMetrics metrics) {
    this.replies = replies;
    this.metrics = metrics;
  }

  /**
   * Sends {@code {"Error": reason}} with {@code status}.
   *
   * @param route the route asked for, null when the path is unknown
   * @param startNanos when the request was received, for the request timer
   */
  ChannelFuture refuse(
      ChannelHandlerContext ctx,
      Route route,
      HttpResponseStatus status,
      String reason,
      boolean keepAlive,
      long startNanos) {
    return refuse(
        ctx, route, replies.error(ctx.alloc(), status, reason), reason, keepAlive, startNanos);
  }

  /** As above, for a refusal response built by the caller (to add headers such as Allow). */
  ChannelFuture refuse(
      ChannelHandlerContext ctx,
      Route route,
      FullHttpResponse response,
      String reason,
      boolean keepAlive,
      long startNanos) {
    log.warn(
        "Refused {} from {} with HTTP {}: {}. Nothing was decided for it; if this repeats, check"
            + " the scheduler's extender configuration (urlPrefix, verbs, nodeCacheCapable) and"
            + " the client sending it",
        route == null ? "a request" : route.path(),
        ctx.channel().remoteAddress(),
        response.status().code(),
        reason);
    metrics.badRequest(route);
    if (route != null) {
      metrics.record(route, ExtenderMetrics.Outcome.BAD_REQUEST, System.nanoTime() - startNanos);
    }
    return Replies.send(ctx, response, keepAlive);
  }

  FullHttpResponse response(ChannelHandlerContext ctx, HttpResponseStatus status, String reason) {
    return replies.error(ctx.alloc(), status, reason);
  }
}
