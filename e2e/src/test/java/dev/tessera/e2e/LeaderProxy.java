package dev.tessera.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;

/**
 * The extender's Service as kube-scheduler sees it, on this machine: connections to one port go to
 * the replica that leads (the Service selects the leader's pod label; here, the replica whose
 * {@code /readyz} says it decides). A connection made while none leads is closed, as a Service
 * without endpoints refuses it.
 */
final class LeaderProxy implements AutoCloseable {
  private final ServerSocket server;
  private final List<ExtenderProcess> replicas;
  private final Thread acceptor;

  LeaderProxy(int port, List<ExtenderProcess> replicas) throws IOException {
    this.server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
    this.replicas = List.copyOf(replicas);
    this.acceptor = new Thread(this::accept, "leader-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        ExtenderProcess leader = leader();
        if (leader == null) {
          client.close();
          continue;
        }
        Socket backend = new Socket(InetAddress.getLoopbackAddress(), leader.port());
        pipe(client, backend);
        pipe(backend, client);
      } catch (IOException e) {
        // closed, or the replica died between the check and the connect: the client retries
      }
    }
  }

  private ExtenderProcess leader() {
    for (ExtenderProcess replica : replicas) {
      if (replica.alive() && replica.status("/readyz") == 200) {
        return replica;
      }
    }
    return null;
  }

  private static void pipe(Socket from, Socket to) {
    Thread copy = new Thread(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // one side went away
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }, "leader-proxy-pipe");
    copy.setDaemon(true);
    copy.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
