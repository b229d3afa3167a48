package dev.tessera.extender.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/** Building and sending the server's HTTP responses. */
final class Replies {
  static final AsciiString JSON = HttpHeaderValues.APPLICATION_JSON;
  static final AsciiString TEXT = AsciiString.cached("text/plain; charset=utf-8");
  static final AsciiString PROMETHEUS_TEXT =
      AsciiString.cached("text/plain; version=0.0.4; charset=utf-8");

  private final WireWriter writer;

  Replies(WireWriter writer) {
    this.writer = writer;
  }

  /** A response owning {@code body}. */
  static FullHttpResponse of(HttpResponseStatus status, AsciiString contentType, ByteBuf body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return response;
  }

  static FullHttpResponse text(ByteBufAllocator alloc, HttpResponseStatus status, String text) {
    return of(status, TEXT, ByteBufUtil.writeUtf8(alloc, text));
  }

  /** {@code {"Error": reason}} with the given status. */
  FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String reason) {
    ByteBuf body = alloc.buffer(reason.length() + 16);
    try {
      writer.writeError(reason, body);
    } catch (RuntimeException e) {
      body.release();
      throw e;
    }
    return of(status, JSON, body);
  }

  /**
   * Writes the response, keeping the connection open when the request allowed it and closing it
   * after the write otherwise. Safe from any thread.
   */
  static ChannelFuture send(
      ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
    return written;
  }
}
