package dev.tessera.extender.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** The wire samples under {@code src/test/resources/wire/} and ways to hold them in a buffer. */
final class Samples {
  static final ObjectMapper JSON = new ObjectMapper();

  private Samples() {}

  static byte[] bytes(String name) {
    try (InputStream in = Samples.class.getResourceAsStream("/wire/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no sample /wire/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(String name) {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode sampleTree(String name) {
    return tree(text(name));
  }

  /** The buffer shapes a body can arrive in; the readers must give the same answer for each. */
  enum Shape implements Function<byte[], ByteBuf> {
    HEAP {
      @Override
      public ByteBuf apply(byte[] b) {
        return Unpooled.wrappedBuffer(b);
      }
    },
    DIRECT {
      @Override
      public ByteBuf apply(byte[] b) {
        return Unpooled.directBuffer(b.length).writeBytes(b);
      }
    },
    /** Several direct pieces, as HttpObjectAggregator builds from network reads. */
    COMPOSITE {
      @Override
      public ByteBuf apply(byte[] b) {
        CompositeByteBuf c = Unpooled.compositeBuffer();
        int piece = Math.max(1, b.length / 7);
        for (int i = 0; i < b.length; i += piece) {
          int n = Math.min(piece, b.length - i);
          c.addComponent(true, Unpooled.directBuffer(n).writeBytes(b, i, n));
        }
        return c;
      }
    },
    /** A heap buffer whose readable bytes start past a prefix and inside a larger array. */
    OFFSET {
      @Override
      public ByteBuf apply(byte[] b) {
        byte[] padded = new byte[b.length + 40];
        System.arraycopy(b, 0, padded, 17, b.length);
        return Unpooled.wrappedBuffer(padded, 5, b.length + 30)
            .skipBytes(12)
            .writerIndex(b.length + 12);
      }
    }
  }

  static ByteBuf utf8(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
  }
}
