package dev.tessera.bench;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection on loopback, as kube-scheduler's client keeps one: writes a
 * request, reads the status and body. Minimal on purpose, so the load generator measures the
 * server rather than a client library, and allocation-free per call once warm: it shares the
 * server's JVM, so its garbage would show up as collection pauses in the server's latency.
 */
final class HttpConnection implements Closeable {
  private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] STATUS_OK = "HTTP/1.1 200".getBytes(StandardCharsets.US_ASCII);

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  /** Request heads by path: the load repeats a few requests, each with one body size. */
  private final Map<String, PostHead> postHeads = new HashMap<>();
  private final Map<String, byte[]> getHeads = new HashMap<>();
  private final byte[] line = new byte[8192];
  private byte[] response = new byte[1 << 16];

  HttpConnection(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
  }

  /** The response body, copied out of the connection's buffer; throws unless the status is 200. */
  byte[] postAndRead(String path, byte[] body) throws IOException {
    int length = post(path, body);
    return java.util.Arrays.copyOf(response, length);
  }

  /**
   * Posts and reads the response into a buffer reused across calls. Returns the body's length;
   * throws unless the status is 200.
   */
  int post(String path, byte[] body) throws IOException {
    PostHead head = postHeads.get(path);
    if (head == null || head.bodyLength() != body.length) {
      byte[] bytes = ("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      head = new PostHead(body.length, bytes);
      postHeads.put(path, head);
    }
    out.write(head.bytes());
    out.write(body);
    out.flush();
    return readResponse(path);
  }

  /** Sends a GET and reads the response into the reused buffer; throws unless the status is 200. */
  int get(String path) throws IOException {
    byte[] head = getHeads.computeIfAbsent(
        path, p -> ("GET " + p + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(head);
    out.flush();
    return readResponse(path);
  }

  private int readResponse(String path) throws IOException {
    int statusLength = readLine();
    boolean ok = startsWith(STATUS_OK, statusLength);
    String status = ok ? null : new String(line, 0, statusLength, StandardCharsets.US_ASCII);
    int contentLength = -1;
    for (int length = readLine(); length > 0; length = readLine()) {
      if (startsWith(CONTENT_LENGTH, length)) {
        contentLength = parseDecimal(CONTENT_LENGTH.length, length);
      }
    }
    if (contentLength < 0) {
      throw new IOException(path + ": response without Content-Length: " + status);
    }
    if (response.length < contentLength) {
      response = new byte[Math.max(contentLength, 2 * response.length)];
    }
    if (in.readNBytes(response, 0, contentLength) < contentLength) {
      throw new EOFException(path + ": connection closed mid-body");
    }
    if (!ok) {
      throw new IOException(
          path + ": " + status + ": " + new String(response, 0, contentLength, StandardCharsets.UTF_8));
    }
    return contentLength;
  }

  /** Reads one header line into {@link #line} without its CRLF; returns its length. */
  private int readLine() throws IOException {
    int length = 0;
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        return length > 0 && line[length - 1] == '\r' ? length - 1 : length;
      }
      if (length == line.length) {
        throw new IOException("response header line longer than " + line.length + " bytes");
      }
      line[length++] = (byte) c;
    }
    throw new EOFException("connection closed");
  }

  /** Case-insensitive for letters, as header names are. */
  private boolean startsWith(byte[] prefix, int length) {
    if (length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (Character.toLowerCase(line[i]) != Character.toLowerCase(prefix[i])) {
        return false;
      }
    }
    return true;
  }

  private int parseDecimal(int from, int to) throws IOException {
    int value = 0;
    boolean digits = false;
    for (int i = from; i < to; i++) {
      byte b = line[i];
      if (b >= '0' && b <= '9') {
        value = Math.multiplyExact(value, 10) + (b - '0');
        digits = true;
      } else if (b != ' ' && b != '\t') {
        throw new IOException("bad Content-Length: " + new String(line, 0, to, StandardCharsets.US_ASCII));
      }
    }
    if (!digits) {
      throw new IOException("empty Content-Length");
    }
    return value;
  }

  private record PostHead(int bodyLength, byte[] bytes) {}

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
