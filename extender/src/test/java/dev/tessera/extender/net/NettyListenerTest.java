package dev.tessera.extender.net;

import static dev.tessera.extender.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener on real loopback ports, speaking a one-byte echo. */
class NettyListenerTest {
  private final NettyListener first = new NettyListener(settings(0));
  private NettyListener second;

  @AfterEach
  void stop() {
    first.close();
    if (second != null) {
      second.close();
    }
  }

  @Test
  void aTakenPortIsRefusedNamingTheFlagThatPicksAnother() {
    first.start(NettyListenerTest::echo);
    second = new NettyListener(settings(first.port()));

    IllegalStateException refused =
        assertThrows(IllegalStateException.class, () -> second.start(NettyListenerTest::echo));

    String taken = "the test service could not listen on port " + first.port();
    assertTrue(refused.getMessage().startsWith(taken), refused.getMessage());
    assertTrue(
        refused.getMessage().endsWith("; free the port or pick another with --test-port"),
        refused.getMessage());
    assertThrows(IllegalStateException.class, second::port, "it never bound");
    assertThrows(
        IllegalStateException.class, () -> second.start(NettyListenerTest::echo), "it is closed");
  }

  @Test
  void thePortIsKnownOnlyOnceStarted() {
    IllegalStateException notStarted = assertThrows(IllegalStateException.class, first::port);
    assertEquals("the test server is not started", notStarted.getMessage());
    assertFalse(first.isAccepting());

    first.start(NettyListenerTest::echo);

    assertTrue(first.port() > 0, "port 0 picks a free one");
    assertTrue(first.isAccepting());
  }

  @Test
  void startsOnce() {
    first.start(NettyListenerTest::echo);

    IllegalStateException again =
        assertThrows(IllegalStateException.class, () -> first.start(NettyListenerTest::echo));
    assertEquals("the test server can be started once", again.getMessage());
  }

  @Test
  void stoppingAcceptingKeepsOpenConnectionsUntilClose() throws Exception {
    first.start(NettyListenerTest::echo);
    int port = first.port();
    try (Socket open = connect(port)) {
      assertEquals('a', roundTrip(open, 'a'));

      first.stopAccepting();

      assertFalse(first.isAccepting());
      await("port " + port + " to refuse connections", () -> refuses(port));
      assertEquals('b', roundTrip(open, 'b'), "the open connection is still served");

      first.close();

      assertEquals(-1, open.getInputStream().read(), "close ends the open connection");
    }
  }

  @Test
  void closeIsIdempotentAndStillNamesThePort() {
    first.start(NettyListenerTest::echo);
    int port = first.port();

    first.close();
    first.close();
    first.stopAccepting();

    assertEquals(port, first.port());
    assertFalse(first.isAccepting());
    assertThrows(IOException.class, () -> connect(port).close());
    assertThrows(IllegalStateException.class, () -> first.start(NettyListenerTest::echo));
  }

  @Test
  void closingBeforeStartingRefusesALaterStart() {
    first.close();
    first.close();

    assertThrows(IllegalStateException.class, () -> first.start(NettyListenerTest::echo));
  }

  @Test
  void settingsRefuseAPortOutOfRangeNamingTheFlag() {
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> settings(65536));
    assertEquals("--test-port must be 0-65535, got 65536", refused.getMessage());
  }

  private static NettyListener.Settings settings(int port) {
    return new NettyListener.Settings(
        "tessera-test", "the test server", "the test service", port, "--test-port", 1, 16, true);
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(5_000);
    return socket;
  }

  private static boolean refuses(int port) {
    try (Socket socket = connect(port)) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static int roundTrip(Socket socket, char c) throws IOException {
    socket.getOutputStream().write(c);
    socket.getOutputStream().flush();
    return socket.getInputStream().read();
  }

  /** Sets up a connection that writes back every byte it reads. */
  private static void echo(SocketChannel ch) {
    ch.pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush((ByteBuf) msg);
              }
            });
  }
}
