package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tessera.proto.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.tessera.proto.deviceplugin.v1beta1.Empty;
import dev.tessera.proto.deviceplugin.v1beta1.ListAndWatchResponse;
import dev.tessera.proto.deviceplugin.v1beta1.RegisterRequest;
import dev.tessera.proto.deviceplugin.v1beta1.RegistrationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Plays kubelet: serves {@code Registration} on kubelet.sock in the plugin directory, records
 * registrations, and talks to the plugin's socket as kubelet does.
 */
final class TestKubelet implements AutoCloseable {
  private final Path dir;
  private final EventLoopGroup group = UnixSockets.newEventLoopGroup(1);
  private final BlockingQueue<RegisterRequest> registrations = new LinkedBlockingQueue<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Server server;

  TestKubelet(Path dir) {
    this.dir = dir;
  }

  TestKubelet start() throws IOException {
    server = UnixSockets.serve(dir.resolve(DevicePluginConfig.KUBELET_SOCKET), group, new RegistrationGrpc.RegistrationImplBase() {
      @Override
      public void register(RegisterRequest request, StreamObserver<Empty> response) {
        registrations.add(request);
        response.onNext(Empty.getDefaultInstance());
        response.onCompleted();
      }
    });
    return this;
  }

  /** The next registration the plugin sent. */
  RegisterRequest awaitRegistration() throws InterruptedException {
    RegisterRequest request = registrations.poll(10, TimeUnit.SECONDS);
    assertNotNull(request, "no registration reached kubelet within 10 s");
    return request;
  }

  /** A client of the plugin at the endpoint it registered, as kubelet dials it. */
  synchronized DevicePluginGrpc.DevicePluginBlockingStub plugin(RegisterRequest registration) {
    ManagedChannel channel = UnixSockets.channel(dir.resolve(registration.getEndpoint()), group);
    channels.add(channel);
    return DevicePluginGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** Opens ListAndWatch; every list the plugin sends lands in the returned queue. */
  synchronized DeviceLists listAndWatch(RegisterRequest registration) {
    ManagedChannel channel = UnixSockets.channel(dir.resolve(registration.getEndpoint()), group);
    channels.add(channel);
    DeviceLists lists = new DeviceLists();
    DevicePluginGrpc.newStub(channel).listAndWatch(Empty.getDefaultInstance(), lists);
    return lists;
  }

  @Override
  public synchronized void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** What one ListAndWatch stream delivered. */
  static final class DeviceLists implements StreamObserver<ListAndWatchResponse> {
    private final BlockingQueue<ListAndWatchResponse> lists = new LinkedBlockingQueue<>();
    private volatile boolean ended;

    ListAndWatchResponse next() throws InterruptedException {
      ListAndWatchResponse list = lists.poll(10, TimeUnit.SECONDS);
      assertNotNull(list, "no device list within 10 s");
      return list;
    }

    boolean ended() {
      return ended;
    }

    @Override
    public void onNext(ListAndWatchResponse value) {
      lists.add(value);
    }

    @Override
    public void onError(Throwable t) {
      ended = true;
    }

    @Override
    public void onCompleted() {
      ended = true;
    }
  }
}
