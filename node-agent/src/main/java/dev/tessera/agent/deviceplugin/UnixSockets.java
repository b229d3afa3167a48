package dev.tessera.agent.deviceplugin;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * gRPC over unix domain sockets, as kubelet speaks it, with the epoll transport that
 * grpc-netty-shaded bundles (Linux only).
 */
final class UnixSockets {
  /** sun_path is 108 bytes on Linux, including the terminating NUL. */
  static final int MAX_PATH_BYTES = 107;

  private UnixSockets() {}

  /**
   * @throws IllegalStateException on a system without the epoll transport (not Linux, or the
   *     bundled native library could not load), with the reason
   */
  static EventLoopGroup newEventLoopGroup(int threads) {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException(
          "unix sockets need Netty's epoll transport, which is unavailable here ("
              + Epoll.unavailabilityCause() + "). The device plugin runs on Linux (x86_64 or aarch64) only",
          Epoll.unavailabilityCause());
    }
    return new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
  }

  /**
   * Starts a server for {@code service} on the socket file {@code path}, replacing a stale file of
   * an earlier run.
   */
  static Server serve(Path path, EventLoopGroup group, BindableService service) throws IOException {
    checkLength(path);
    Files.deleteIfExists(path);
    return NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group)
        // gRPC sets TCP keep-alive, which a unix socket does not have: without this, every
        // connection logs a warning.
        .withChildOption(ChannelOption.SO_KEEPALIVE, null)
        .addService(service)
        .build()
        .start();
  }

  /** A plaintext channel to the socket file {@code path}; it connects on first use. */
  static ManagedChannel channel(Path path, EventLoopGroup group) {
    checkLength(path);
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(path.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(group)
        .withOption(ChannelOption.SO_KEEPALIVE, null)
        // A socket path is no host name; kubelet ignores the authority.
        .overrideAuthority("localhost")
        .usePlaintext()
        .build();
  }

  private static void checkLength(Path path) {
    int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_PATH_BYTES) {
      throw new IllegalArgumentException(
          "socket path " + path + " is " + bytes + " bytes; unix sockets allow at most " + MAX_PATH_BYTES);
    }
  }
}
