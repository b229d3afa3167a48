package dev.tessera.agent.deviceplugin;

import dev.tessera.proto.deviceplugin.v1beta1.RegisterRequest;
import dev.tessera.proto.deviceplugin.v1beta1.RegistrationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/** Registers the plugin with kubelet: one {@code Registration.Register} call on kubelet.sock. */
final class KubeletRegistration {
  static final String API_VERSION = "v1beta1";

  private final Path kubeletSocket;
  private final EventLoopGroup group;
  private final Duration timeout;

  KubeletRegistration(Path kubeletSocket, EventLoopGroup group, Duration timeout) {
    this.kubeletSocket = Objects.requireNonNull(kubeletSocket, "kubeletSocket");
    this.group = Objects.requireNonNull(group, "group");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  static RegisterRequest request(String socketName, String resourceName) {
    return RegisterRequest.newBuilder()
        .setVersion(API_VERSION)
        .setEndpoint(socketName)
        .setResourceName(resourceName)
        .setOptions(DevicePluginService.OPTIONS)
        .build();
  }

  /**
   * @throws StatusRuntimeException when kubelet is not there (UNAVAILABLE) or refuses the plugin
   *     (UNKNOWN with kubelet's reason: a wrong version, a resource name already taken...)
   */
  void register(RegisterRequest request) {
    ManagedChannel channel = UnixSockets.channel(kubeletSocket, group);
    try {
      RegistrationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .register(request);
    } finally {
      channel.shutdownNow();
    }
  }

  Path socket() {
    return kubeletSocket;
  }
}
