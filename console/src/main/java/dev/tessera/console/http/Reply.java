package dev.tessera.console.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What a route answers: a whole body, or a stream it writes as things happen. */
public sealed interface Reply {

  /** A whole answer. */
  record Full(int status, String contentType, byte[] body, Map<String, String> headers) implements Reply {
    public Full {
      headers = Map.copyOf(headers);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Full that && status == that.status && contentType.equals(that.contentType)
          && java.util.Arrays.equals(body, that.body) && headers.equals(that.headers);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(status, contentType, java.util.Arrays.hashCode(body), headers);
    }

    @Override
    public String toString() {
      return status + " " + contentType + " (" + body.length + " bytes)";
    }
  }

  /**
   * An answer written piece by piece (server-sent events, a followed log): the headers go at once,
   * then {@code body} writes to the {@link Stream.Sink} until it ends it or the client goes.
   */
  record Stream(String contentType, Map<String, String> headers, Streamer body) implements Reply {
    public Stream {
      headers = Map.copyOf(headers);
    }
  }

  /** Produces a streamed body. */
  @FunctionalInterface
  interface Streamer {
    /**
     * Starts writing to {@code sink}; returns what to close when the client goes first.
     */
    AutoCloseable start(Sink sink) throws Exception;
  }

  /** Where a stream's pieces go. Safe to call from any thread. */
  interface Sink {
    /** Sends a piece now. */
    void write(byte[] piece);

    /** Ends the answer. */
    void end();

    /** Whether the client is still there. */
    boolean open();
  }

  static Full json(int status, byte[] body) {
    return new Full(status, "application/json", body, Map.of());
  }

  static Full text(int status, String contentType, String body) {
    return new Full(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
  }
}
