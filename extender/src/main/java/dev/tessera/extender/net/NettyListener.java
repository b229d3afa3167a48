package dev.tessera.extender.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Netty server socket on all interfaces with its own accept thread and I/O threads, shared by the
 * extender's HTTP server and the admission webhook so both bind, report a taken port and stop the
 * same way. It knows nothing of what is spoken on its connections: {@link #start} is given what
 * sets up each connection's pipeline. Started once; a closed listener stays closed.
 *
 * <p>Closes in two steps for servers that answer off the event loops: {@link #stopAccepting}
 * first, then, once those answers are written, {@link #close} closes the connections and stops
 * the threads.
 */
public final class NettyListener implements AutoCloseable {
  /**
   * What to listen on, and the names to use in thread names and messages.
   *
   * @param threads names the threads {@code <threads>-accept} and {@code <threads>-io}
   * @param server names the server in errors for misuse, e.g. "the extender server" in "the
   *     extender server can be started once"
   * @param service names it where its port is refused, e.g. "the extender" in "the extender could
   *     not listen on port 80"
   * @param port 0 picks a free port (see {@link #port})
   * @param portFlag the command-line option that sets the port, named where the port is refused
   * @param keepAlive whether accepted connections send TCP keep-alives
   */
  public record Settings(
      String threads,
      String server,
      String service,
      int port,
      String portFlag,
      int workerThreads,
      int backlog,
      boolean keepAlive) {
    public Settings {
      Objects.requireNonNull(threads, "threads");
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(portFlag, "portFlag");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(portFlag + " must be 0-65535, got " + port);
      }
      if (workerThreads <= 0) {
        throw new IllegalArgumentException("workerThreads must be positive, got " + workerThreads);
      }
      if (backlog <= 0) {
        throw new IllegalArgumentException("backlog must be positive, got " + backlog);
      }
    }
  }

  private final Settings settings;

  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private Channel serverChannel; // null until bound
  private int boundPort;
  private boolean closed;

  public NettyListener(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * Binds and starts accepting; {@code pipeline} adds the handlers of each accepted connection.
   *
   * @throws IllegalStateException when the port cannot be bound (the threads are stopped, the
   *     listener is closed and the message names {@link Settings#portFlag}), or when the listener
   *     was started or closed before
   */
  public synchronized void start(Consumer<SocketChannel> pipeline) {
    Objects.requireNonNull(pipeline, "pipeline");
    if (serverChannel != null || closed) {
      throw new IllegalStateException(settings.server() + " can be started once");
    }
    boss = new NioEventLoopGroup(1, threads("accept"));
    workers = new NioEventLoopGroup(settings.workerThreads(), threads("io"));
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, settings.backlog())
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    pipeline.accept(ch);
                  }
                });
    if (settings.keepAlive()) {
      bootstrap.childOption(ChannelOption.SO_KEEPALIVE, true);
    }
    try {
      serverChannel =
          bootstrap.bind(new InetSocketAddress(settings.port())).syncUninterruptibly().channel();
    } catch (Exception e) { // Netty rethrows the bind's IOException undeclared
      closed = true;
      shutDownThreads();
      throw new IllegalStateException(
          settings.service()
              + " could not listen on port "
              + settings.port()
              + " ("
              + e
              + "); free the port or pick another with "
              + settings.portFlag(),
          e);
    }
    // Kept apart from the channel, which may no longer know its address once closed.
    boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /**
   * The port listened on, which tells tests the one picked for port 0; still answered after close,
   * so a server can name the port it stopped.
   *
   * @throws IllegalStateException when the listener never bound
   */
  public synchronized int port() {
    if (serverChannel == null) {
      throw new IllegalStateException(settings.server() + " is not started");
    }
    return boundPort;
  }

  /** Whether it is bound and has not yet stopped accepting. */
  public synchronized boolean isAccepting() {
    return serverChannel != null && serverChannel.isOpen();
  }

  /**
   * Closes the server socket so no new connection is accepted; the connections already open stay
   * served until {@link #close}. The port itself is freed an instant later, when the accept thread
   * lets go of the socket. Does nothing when not bound or already stopped.
   */
  public synchronized void stopAccepting() {
    // Only while open: once close has stopped the threads, a close would have none to run on.
    if (isAccepting()) {
      serverChannel.close().syncUninterruptibly();
    }
  }

  /** Stops accepting, then closes every connection and stops the threads. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (serverChannel == null) {
      return;
    }
    stopAccepting();
    shutDownThreads();
  }

  private DefaultThreadFactory threads(String role) {
    return new DefaultThreadFactory(settings.threads() + "-" + role, true);
  }

  private void shutDownThreads() {
    // A short quiet period: a server that has answers worth writing waits for them between
    // stopAccepting and close, so what is left here is I/O already under way.
    workers.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    boss.shutdownGracefully(0, 5_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
  }
}
