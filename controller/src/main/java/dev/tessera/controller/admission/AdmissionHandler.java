package dev.tessera.controller.admission;

import dev.tessera.controller.admission.AdmissionReviewer.Endpoint;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes {@code POST /validate} and {@code /mutate} (the API server appends {@code ?timeout=10s},
 * which is ignored) to the {@link AdmissionReviewer}, on the event loop: a review is a few map
 * lookups. Anything it cannot answer gets a JSON {@code {"error": ...}} with 400, 404 or 405.
 * Stateless, so one instance serves every connection.
 */
@ChannelHandler.Sharable
final class AdmissionHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);

  private final AdmissionReviewer reviewer;

  AdmissionHandler(AdmissionReviewer reviewer) {
    this.reviewer = reviewer;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.decoderResult().isFailure()) {
      send(ctx, error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"), false);
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    Optional<Endpoint> endpoint = Endpoint.of(path);
    if (endpoint.isEmpty()) {
      send(
          ctx,
          error(
              HttpResponseStatus.NOT_FOUND,
              "nothing is served at " + abbreviate(path)
                  + "; the admission webhook serves POST /validate and /mutate"),
          keepAlive);
      return;
    }
    if (!HttpMethod.POST.equals(request.method())) {
      FullHttpResponse response =
          error(HttpResponseStatus.METHOD_NOT_ALLOWED, path + " takes POST");
      response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.POST.asciiName());
      send(ctx, response, keepAlive);
      return;
    }
    byte[] body = ByteBufUtil.getBytes(request.content());
    try {
      byte[] review = reviewer.review(endpoint.get(), body);
      send(ctx, json(HttpResponseStatus.OK, review), keepAlive);
    } catch (MalformedReviewException e) {
      log.warn("Refused {} from {} with HTTP 400: {}", path, ctx.channel().remoteAddress(), e.getMessage());
      send(ctx, error(HttpResponseStatus.BAD_REQUEST, e.getMessage()), keepAlive);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException || cause.getCause() instanceof javax.net.ssl.SSLException) {
      // Resets and failed handshakes (a client not trusting the certificate) are the peer's doing.
      log.debug("Admission connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      log.error(
          "Unexpected failure on the admission connection from {}; closing it. This is a bug:"
              + " report it with this stack trace",
          ctx.channel().remoteAddress(),
          cause);
    }
    ctx.close();
  }

  static FullHttpResponse error(HttpResponseStatus status, String reason) {
    String escaped = reason.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\x00-\\x1f]", " ");
    return json(status, ("{\"error\":\"" + escaped + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
    HttpUtil.setKeepAlive(response, keepAlive);
    var written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
