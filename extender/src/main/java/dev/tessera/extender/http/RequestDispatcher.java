package dev.tessera.extender.http;

import dev.tessera.extender.http.ExtenderMetrics.Outcome;
import dev.tessera.extender.verbs.ExtenderHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the requests of one connection in order. Filter, prioritize and preempt are answered on
 * the event loop (the handler promises not to block there). Bind and the metrics scrape are
 * answered off it; while one is, the connection reads no further requests, so answers leave in the
 * order requests came even if a client pipelines.
 */
final class RequestDispatcher extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
  private static final long READINESS_POLL_MILLIS = 20;

  private final ExtenderEndpoints endpoints;
  private final ExtenderMetrics metrics;
  private final Refusals refusals;
  private final Executor bindExecutor;
  private final Executor scrapeExecutor;
  private final Executor decideExecutor;
  private final OffLoopAnswers offLoop;
  private final Duration unreadyWait;

  /** Requests already decoded while an answer was being computed off the loop. */
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>(2);

  private boolean answeringOffLoop;

  RequestDispatcher(
      ExtenderEndpoints endpoints,
      ExtenderMetrics metrics,
      Refusals refusals,
      Executor bindExecutor,
      Executor scrapeExecutor,
      Executor decideExecutor,
      OffLoopAnswers offLoop,
      Duration unreadyWait) {
    this.endpoints = endpoints;
    this.metrics = metrics;
    this.refusals = refusals;
    this.bindExecutor = bindExecutor;
    this.scrapeExecutor = scrapeExecutor;
    this.decideExecutor = decideExecutor;
    this.offLoop = offLoop;
    this.unreadyWait = unreadyWait;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ReferenceCountUtil.release(msg); // the aggregator hands over only full requests
      return;
    }
    if (answeringOffLoop) {
      waiting.add(request);
      return;
    }
    serve(ctx, request);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    releaseWaiting();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseWaiting();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      // Peers resetting connections is routine; the request, if any, is lost with it.
      log.debug("Connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      log.error(
          "Unexpected failure on the connection from {}; closing that connection, the server"
              + " keeps serving. This is a bug: report it with this stack trace",
          ctx.channel().remoteAddress(),
          cause);
    }
    ctx.close();
  }

  private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
    try {
      route(ctx, request);
    } finally {
      request.release();
    }
  }

  private void route(ChannelHandlerContext ctx, FullHttpRequest request) {
    long start = System.nanoTime();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.decoderResult().isFailure()) {
      // The connection's framing can no longer be trusted: answer and close.
      refusals.refuse(
          ctx,
          null,
          HttpResponseStatus.BAD_REQUEST,
          "malformed HTTP request: " + describe(request.decoderResult().cause()),
          false,
          start);
      return;
    }
    Route route = Route.of(request.uri());
    if (route == null) {
      refusals.refuse(
          ctx,
          null,
          HttpResponseStatus.NOT_FOUND,
          "nothing is served at "
              + abbreviate(request.uri())
              + "; the extender serves POST /filter, /prioritize, /bind, /preempt and"
              + " GET /healthz, /readyz, /syncedz, /metrics",
          keepAlive,
          start);
      return;
    }
    if (!route.method().equals(request.method())) {
      String reason =
          route.path()
              + " takes "
              + route.method()
              + ", not "
              + abbreviate(request.method().name());
      FullHttpResponse response =
          refusals.response(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, reason);
      response.headers().set(HttpHeaderNames.ALLOW, route.method().asciiName());
      refusals.refuse(ctx, route, response, reason, keepAlive, start);
      return;
    }
    if (route.extenderVerb() && !endpoints.ready()) {
      awaitReadiness(ctx, request, route, keepAlive, start);
      return;
    }
    switch (route) {
      case FILTER -> filter(ctx, request, keepAlive, start);
      case PRIORITIZE -> answerOnLoop(ctx, route, keepAlive, start, out -> endpoints.prioritize(request.content(), out));
      case PREEMPT -> answerOnLoop(ctx, route, keepAlive, start, out -> endpoints.preempt(request.content(), out));
      case BIND -> bind(ctx, request, keepAlive, start);
      case HEALTHZ ->
          Replies.send(ctx, Replies.text(ctx.alloc(), HttpResponseStatus.OK, "ok"), keepAlive);
      case READYZ -> ready(ctx, keepAlive);
      case SYNCEDZ -> Replies.send(ctx, endpoints.synced()
          ? Replies.text(ctx.alloc(), HttpResponseStatus.OK, "ok")
          : refusals.response(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
              "not synced: nodes, pods and the scheduling policy are still being listed"), keepAlive);
      case METRICS ->
          answerOffLoop(
              ctx,
              route,
              scrapeExecutor,
              keepAlive,
              start,
              out -> {
                endpoints.scrape(out);
                return Replies.of(HttpResponseStatus.OK, Replies.PROMETHEUS_TEXT, out);
              });
    }
  }

  /** Computes the answer here, on the event loop, and writes it. */
  private void answerOnLoop(
      ChannelHandlerContext ctx, Route route, boolean keepAlive, long start, OnLoopAnswer answer) {
    ByteBuf out = ctx.alloc().buffer();
    try {
      answer.write(out);
    } catch (BadRequestException e) {
      out.release();
      refusals.refuse(ctx, route, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive, start);
      return;
    } catch (RuntimeException | Error e) {
      out.release();
      Replies.send(ctx, failure(ctx, route, e), keepAlive);
      metrics.record(route, Outcome.ERROR, System.nanoTime() - start);
      return;
    }
    Replies.send(ctx, Replies.of(HttpResponseStatus.OK, Replies.JSON, out), keepAlive);
    metrics.record(route, Outcome.OK, System.nanoTime() - start);
  }

  /** Filter on the event loop, or off it for a pod whose decision may block (a gang member). */
  private void filter(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive, long start) {
    ExtenderArgs args;
    try {
      args = endpoints.readFilter(request.content());
    } catch (BadRequestException e) {
      refusals.refuse(ctx, Route.FILTER, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive, start);
      return;
    }
    if (!endpoints.filtersOffLoop(args)) {
      answerOnLoop(ctx, Route.FILTER, keepAlive, start, out -> endpoints.answerFilter(args, request.content(), out));
      return;
    }
    ByteBuf body = request.content().retain(); // the answer copies nodes from it, after serve() returns
    answerOffLoop(ctx, Route.FILTER, decideExecutor, keepAlive, start, out -> {
      try {
        endpoints.answerFilter(args, body, out);
        return Replies.of(HttpResponseStatus.OK, Replies.JSON, out);
      } finally {
        body.release();
      }
    }, body::release);
  }

  private void bind(
      ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive, long start) {
    ExtenderHandler.BindRequest bind;
    try {
      bind = endpoints.readBind(request.content());
    } catch (BadRequestException e) {
      refusals.refuse(
          ctx, Route.BIND, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive, start);
      return;
    }
    answerOffLoop(
        ctx,
        Route.BIND,
        bindExecutor,
        keepAlive,
        start,
        out -> {
          endpoints.bind(bind, out);
          return Replies.of(HttpResponseStatus.OK, Replies.JSON, out);
        });
  }

  private void ready(ChannelHandlerContext ctx, boolean keepAlive) {
    FullHttpResponse response;
    if (endpoints.ready()) {
      response = Replies.text(ctx.alloc(), HttpResponseStatus.OK, "ok");
    } else {
      response =
          refusals.response(
              ctx,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "not ready: nodes, pods and the scheduling policy are still being listed, so"
                  + " answers would rest on an incomplete view; scheduling calls wait for it");
    }
    Replies.send(ctx, response, keepAlive);
  }

  /**
   * Holds a scheduling call that came before the extender is ready until it is (then answers it as
   * usual) or until the wait runs out (then answers HTTP 503). Answering from a cache still being
   * filled could pass a full node; failing at once would park the pod in kube-scheduler's
   * unschedulable queue. Waiting costs kube-scheduler one slow call at startup instead. Nothing is
   * read from the connection meanwhile, and the event loop is never blocked.
   */
  private void awaitReadiness(
      ChannelHandlerContext ctx, FullHttpRequest request, Route route, boolean keepAlive, long start) {
    request.retain(); // serve() releases it on return; it is answered later
    pause(ctx);
    pollReadiness(ctx, request, route, keepAlive, start);
  }

  private void pollReadiness(
      ChannelHandlerContext ctx, FullHttpRequest request, Route route, boolean keepAlive, long start) {
    if (!ctx.channel().isActive()) {
      request.release(); // kube-scheduler gave up on the call
      return;
    }
    if (endpoints.ready()) {
      waiting.addFirst(request);
      resume(ctx); // serves it now that the extender is ready, then what arrived meanwhile
      return;
    }
    if (System.nanoTime() - start >= unreadyWait.toNanos()) {
      request.release();
      refusals.refuse(ctx, route, HttpResponseStatus.SERVICE_UNAVAILABLE,
          "the extender is starting: it has not finished listing nodes, pods and scheduling policy, and"
              + " answering now could place pods on GPUs that are taken. The pods it could not answer for"
              + " are tried again once it is ready",
          keepAlive, start);
      resume(ctx);
      return;
    }
    ctx.executor().schedule(
        () -> pollReadiness(ctx, request, route, keepAlive, start), READINESS_POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Computes the answer on {@code executor} and writes it from there. The connection stops reading
   * until the answer is written, then serves what arrived meanwhile.
   */
  private void answerOffLoop(
      ChannelHandlerContext ctx,
      Route route,
      Executor executor,
      boolean keepAlive,
      long start,
      Answer answer) {
    answerOffLoop(ctx, route, executor, keepAlive, start, answer, () -> {});
  }

  /** As above; {@code abandoned} runs instead of the answer when the answer will never run. */
  private void answerOffLoop(
      ChannelHandlerContext ctx,
      Route route,
      Executor executor,
      boolean keepAlive,
      long start,
      Answer answer,
      Runnable abandoned) {
    if (!offLoop.begin()) {
      abandoned.run();
      Replies.send(
          ctx,
          refusals.response(
              ctx,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "the extender is shutting down; retry against another replica"),
          false);
      metrics.record(route, Outcome.ERROR, System.nanoTime() - start);
      return;
    }
    pause(ctx);
    try {
      executor.execute(
          () -> {
            try {
              FullHttpResponse response;
              Outcome outcome;
              ByteBuf out = ctx.alloc().buffer();
              try {
                response = answer.answer(out);
                outcome = Outcome.OK;
              } catch (RuntimeException | Error e) {
                out.release();
                response = failure(ctx, route, e);
                outcome = Outcome.ERROR;
              }
              Replies.send(ctx, response, keepAlive).addListener(written -> resume(ctx));
              metrics.record(route, outcome, System.nanoTime() - start);
            } finally {
              offLoop.end();
            }
          });
    } catch (RejectedExecutionException e) {
      offLoop.end();
      abandoned.run();
      log.error(
          "The executor for {} refused the request from {} ({}); answered 503. It is shut down"
              + " or saturated: check the bind executor's size against the scheduler's load",
          route.path(),
          ctx.channel().remoteAddress(),
          e.toString());
      Replies.send(
          ctx,
          refusals.response(
              ctx,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              route.path() + " could not be started: the extender is overloaded or shutting down"),
          keepAlive);
      metrics.record(route, Outcome.ERROR, System.nanoTime() - start);
      resume(ctx);
    }
  }

  /** A 500 for a failure inside the extender, logged once with its stack. */
  private FullHttpResponse failure(ChannelHandlerContext ctx, Route route, Throwable e) {
    String reason =
        e instanceof ExtenderEndpoints.DecisionFailure
            ? e.getMessage()
            : route.tag() + " failed: " + e;
    log.error(
        "Answered HTTP 500 to {} from {}: {}. The server keeps serving; this is a bug in the"
            + " extender, report it with this stack trace",
        route.path(),
        ctx.channel().remoteAddress(),
        reason,
        e);
    return refusals.response(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, reason);
  }

  private void pause(ChannelHandlerContext ctx) {
    answeringOffLoop = true;
    ctx.channel().config().setAutoRead(false);
  }

  /** Runs on the event loop once an off-loop answer is written (or failed to be). */
  private void resume(ChannelHandlerContext ctx) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> resume(ctx));
      return;
    }
    answeringOffLoop = false;
    FullHttpRequest next;
    while (!answeringOffLoop && (next = waiting.poll()) != null) {
      serve(ctx, next);
    }
    if (!answeringOffLoop) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void releaseWaiting() {
    FullHttpRequest request;
    while ((request = waiting.poll()) != null) {
      request.release();
    }
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return abbreviate(message == null ? cause.getClass().getSimpleName() : message);
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }

  @FunctionalInterface
  private interface OnLoopAnswer {
    /** Writes the answer's JSON body into {@code out}. */
    void write(ByteBuf out) throws BadRequestException;
  }

  private interface Answer {
    /** Writes the answer's body into {@code out} and returns the response owning it. */
    FullHttpResponse answer(ByteBuf out);
  }
}
