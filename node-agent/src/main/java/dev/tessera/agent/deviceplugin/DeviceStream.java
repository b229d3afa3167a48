package dev.tessera.agent.deviceplugin;

import dev.tessera.agent.deviceplugin.DeviceSnapshot.DeviceState;
import dev.tessera.proto.deviceplugin.v1beta1.Device;
import dev.tessera.proto.deviceplugin.v1beta1.ListAndWatchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Objects;

/**
 * One kubelet ListAndWatch stream. Sends are serialised (gRPC observers are not thread-safe) and
 * never go backwards: a list older than the last one sent is dropped, so the first answer and a
 * concurrent health change cannot arrive in the wrong order.
 */
final class DeviceStream {
  static final String HEALTHY = "Healthy";
  static final String UNHEALTHY = "Unhealthy";

  private final ServerCallStreamObserver<ListAndWatchResponse> observer;
  /** Guarded by this. */
  private long sentGeneration = -1;
  /** Guarded by this. */
  private boolean ended;

  DeviceStream(ServerCallStreamObserver<ListAndWatchResponse> observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  synchronized void send(DeviceSnapshot snapshot) {
    if (ended || observer.isCancelled() || snapshot.generation() <= sentGeneration) {
      return;
    }
    sentGeneration = snapshot.generation();
    observer.onNext(toResponse(snapshot));
  }

  /** Ends the stream normally (the server is going away); kubelet then waits for a new registration. */
  synchronized void complete() {
    if (ended) {
      return;
    }
    ended = true;
    if (!observer.isCancelled()) {
      observer.onCompleted();
    }
  }

  /** kubelet went away; nothing more may be sent. */
  synchronized void cancelled() {
    ended = true;
  }

  static ListAndWatchResponse toResponse(DeviceSnapshot snapshot) {
    ListAndWatchResponse.Builder response = ListAndWatchResponse.newBuilder();
    for (DeviceState device : snapshot.devices()) {
      response.addDevices(Device.newBuilder()
          .setID(device.id())
          .setHealth(device.healthy() ? HEALTHY : UNHEALTHY));
    }
    return response.build();
  }
}
