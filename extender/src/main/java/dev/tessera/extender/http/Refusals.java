package dev.tessera.extender.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request the server will not serve (bad body, unknown path, wrong method, too large)
 * with a JSON reason, and counts it. A refusal is the caller's mistake, so it is one WARN line
 * without a stack trace, and at most one every ten seconds, with how many were refused in between.
 */
final class Refusals {
  private static final Logger log = LoggerFactory.getLogger(Refusals.class);

  /** At most one line per this interval: a misconfigured client must not flood the log. */
  private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Replies replies;
  private final ExtenderMetrics metrics;
  private final AtomicLong lastLogged =
      new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
  private final AtomicLong unlogged = new AtomicLong();

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
    long now = System.nanoTime();
    long last = lastLogged.get();
    if (now - last >= LOG_INTERVAL_NANOS && lastLogged.compareAndSet(last, now)) {
      long quiet = unlogged.getAndSet(0);
      log.warn(
          "Refused {} from {} with HTTP {}: {}. Nothing was decided for it; if this repeats, check"
              + " the scheduler's extender configuration (urlPrefix, verbs, nodeCacheCapable) and"
              + " the client sending it{}",
          route == null ? "a request" : route.path(),
          ctx.channel().remoteAddress(),
          response.status().code(),
          reason,
          quiet == 0 ? "" : ". " + quiet + " more request(s) were refused since the last such line"
              + " (tessera_extender_bad_requests_total counts every one)");
    } else {
      unlogged.incrementAndGet();
    }
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
