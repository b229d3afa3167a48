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

/**
 * One keep-alive HTTP/1.1 connection on loopback, as kube-scheduler's client keeps one: writes a
 * POST, reads the status and body. Minimal on purpose, so the load generator measures the server
 * rather than a client library.
 */
final class HttpConnection implements Closeable {
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  HttpConnection(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
  }

  private byte[] response = new byte[1 << 16];

  /** The response body, copied out of the connection's buffer; throws unless the status is 200. */
  byte[] postAndRead(String path, byte[] body) throws IOException {
    int length = post(path, body);
    return java.util.Arrays.copyOf(response, length);
  }

  /**
   * Posts and reads the response into a buffer reused across calls, so the load generator's own
   * allocation does not show up as garbage-collection pauses in the server's latency. Returns the
   * body's length; throws unless the status is 200.
   */
  int post(String path, byte[] body) throws IOException {
    String head =
        "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    return readResponse(path);
  }

  /** Sends a GET and reads the response into the reused buffer; throws unless the status is 200. */
  int get(String path) throws IOException {
    out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return readResponse(path);
  }

  private int readResponse(String path) throws IOException {
    String status = readLine();
    int contentLength = -1;
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
        contentLength = Integer.parseInt(line.substring(colon + 1).trim());
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
    if (!status.startsWith("HTTP/1.1 200")) {
      throw new IOException(
          path + ": " + status + ": " + new String(response, 0, contentLength, StandardCharsets.UTF_8));
    }
    return contentLength;
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder(64);
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\r') {
          line.setLength(end - 1);
        }
        return line.toString();
      }
      line.append((char) c);
    }
    throw new EOFException("connection closed");
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
