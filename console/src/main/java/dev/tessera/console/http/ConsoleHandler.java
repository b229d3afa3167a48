package dev.tessera.console.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each request to the routes on a worker thread (they call the API server and the database,
 * which must not stall Netty's I/O threads) and writes the reply back: whole, or as a stream.
 */
final class ConsoleHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(ConsoleHandler.class);

  private final Router router;
  private final Executor workers;
  private final ObjectMapper json;

  ConsoleHandler(Router router, Executor workers, ObjectMapper json) {
    this.router = router;
    this.workers = workers;
    this.json = json;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest message) {
    boolean keepAlive = HttpUtil.isKeepAlive(message);
    Request request;
    try {
      request = copy(message);
    } catch (IllegalArgumentException e) {
      write(ctx, error(ApiException.badRequest("the request's URL does not decode: " + e.getMessage())), keepAlive);
      return;
    }
    try {
      workers.execute(() -> write(ctx, answer(request), keepAlive));
    } catch (RejectedExecutionException e) {
      write(ctx, error(ApiException.unavailable("the console is shutting down")), false);
    }
  }

  private Reply answer(Request request) {
    try {
      return router.handle(request);
    } catch (ApiException e) {
      return error(e);
    } catch (IllegalArgumentException e) {
      return error(ApiException.badRequest(e.getMessage()));
    } catch (Exception e) {
      log.error("{} failed; answered 500", request, e);
      return error(new ApiException(500, "InternalError", "the console failed on this request: " + e
          + "; its log has the details"));
    }
  }

  private Reply.Full error(ApiException e) {
    try {
      return Reply.json(e.code(), json.writeValueAsBytes(StatusBody.of(e)));
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException("a Status always writes as JSON", impossible);
    }
  }

  private void write(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
    if (reply instanceof Reply.Full full) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(full.status()), Unpooled.wrappedBuffer(full.body()));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, full.contentType());
      full.headers().forEach((name, value) -> response.headers().set(name, value));
      HttpUtil.setContentLength(response, full.body().length);
      HttpUtil.setKeepAlive(response, keepAlive);
      var done = ctx.writeAndFlush(response);
      if (!keepAlive) {
        done.addListener(ChannelFutureListener.CLOSE);
      }
    } else if (reply instanceof Reply.Stream stream) {
      stream(ctx, stream);
    }
  }

  private void stream(ChannelHandlerContext ctx, Reply.Stream stream) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, stream.contentType());
    head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    stream.headers().forEach((name, value) -> head.headers().set(name, value));
    ctx.writeAndFlush(head);
    Reply.Sink sink = new Reply.Sink() {
      @Override
      public void write(byte[] piece) {
        if (ctx.channel().isActive()) {
          ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(piece)));
        }
      }

      @Override
      public void end() {
        if (ctx.channel().isActive()) {
          ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        }
      }

      @Override
      public boolean open() {
        return ctx.channel().isActive();
      }
    };
    try {
      AutoCloseable producer = stream.body().start(sink);
      ctx.channel().closeFuture().addListener(closed -> {
        try {
          producer.close();
        } catch (Exception e) {
          log.debug("closing a stream's producer failed", e);
        }
      });
    } catch (Exception e) {
      log.warn("a stream could not start: {}", e.toString());
      sink.end();
    }
  }

  private static Request copy(FullHttpRequest message) {
    QueryStringDecoder decoder = new QueryStringDecoder(message.uri());
    Map<String, String> headers = new HashMap<>();
    message.headers().forEach(entry -> headers.put(entry.getKey().toLowerCase(Locale.ROOT), entry.getValue()));
    byte[] body = new byte[message.content().readableBytes()];
    message.content().getBytes(message.content().readerIndex(), body);
    return new Request(message.method().name(), decoder.path(), decoder.parameters(), headers, body);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection error; closing it", cause);
    ctx.close();
  }
}
