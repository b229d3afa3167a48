package dev.tessera.agent.deviceplugin;

import dev.tessera.agent.enforce.PodEvents;
import dev.tessera.proto.deviceplugin.v1beta1.AllocateRequest;
import dev.tessera.proto.deviceplugin.v1beta1.AllocateResponse;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateRequest;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateResponse;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerPreferredAllocationRequest;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerPreferredAllocationResponse;
import dev.tessera.proto.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.tessera.proto.deviceplugin.v1beta1.DevicePluginOptions;
import dev.tessera.proto.deviceplugin.v1beta1.Empty;
import dev.tessera.proto.deviceplugin.v1beta1.ListAndWatchResponse;
import dev.tessera.proto.deviceplugin.v1beta1.PreStartContainerRequest;
import dev.tessera.proto.deviceplugin.v1beta1.PreStartContainerResponse;
import dev.tessera.proto.deviceplugin.v1beta1.PreferredAllocationRequest;
import dev.tessera.proto.deviceplugin.v1beta1.PreferredAllocationResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code DevicePlugin} gRPC service kubelet calls. Device IDs are slots (one per GPU, named by
 * its UUID); what a container really gets comes from its pod's assignment, found by {@link
 * PodMatcher}.
 */
final class DevicePluginService extends DevicePluginGrpc.DevicePluginImplBase {
  private static final Logger log = LoggerFactory.getLogger(DevicePluginService.class);
  /** The reason of the Warning a pod gets when its tessera.dev/compute-share cannot be used. */
  public static final String INVALID_COMPUTE_SHARE = "InvalidComputeShare";

  /** What the plugin supports; sent at registration and from GetDevicePluginOptions alike. */
  static final DevicePluginOptions OPTIONS =
      DevicePluginOptions.newBuilder().setPreStartRequired(false).setGetPreferredAllocationAvailable(true).build();

  private final HealthMonitor health;
  private final PodMatcher pods;
  private final ContainerSettings settings;
  private final PodEvents events;
  private final Set<DeviceStream> streams = new CopyOnWriteArraySet<>();

  /** @param events told of what was wrong with a pod's annotations (a Warning on the pod) */
  DevicePluginService(HealthMonitor health, PodMatcher pods, ContainerSettings settings, PodEvents events) {
    this.health = Objects.requireNonNull(health, "health");
    this.pods = Objects.requireNonNull(pods, "pods");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.events = Objects.requireNonNull(events, "events");
  }

  /** Sends a changed device list to every open ListAndWatch stream. */
  void publish(DeviceSnapshot snapshot) {
    for (DeviceStream stream : streams) {
      stream.send(snapshot);
    }
  }

  /** Ends every ListAndWatch stream, before the server they run on goes away. */
  void endStreams() {
    for (DeviceStream stream : streams) {
      stream.complete();
    }
    streams.clear();
  }

  @Override
  public void getDevicePluginOptions(Empty request, StreamObserver<DevicePluginOptions> response) {
    response.onNext(OPTIONS);
    response.onCompleted();
  }

  @Override
  public void listAndWatch(Empty request, StreamObserver<ListAndWatchResponse> response) {
    ServerCallStreamObserver<ListAndWatchResponse> observer = (ServerCallStreamObserver<ListAndWatchResponse>) response;
    DeviceStream stream = new DeviceStream(observer);
    observer.setOnCancelHandler(() -> {
      stream.cancelled();
      streams.remove(stream);
      log.info("kubelet closed its ListAndWatch stream");
    });
    streams.add(stream);
    DeviceSnapshot now = health.current();
    stream.send(now);
    log.info("kubelet opened ListAndWatch; sent {} device(s)", now.devices().size());
  }

  @Override
  public void getPreferredAllocation(
      PreferredAllocationRequest request, StreamObserver<PreferredAllocationResponse> response) {
    PreferredAllocationResponse.Builder answer = PreferredAllocationResponse.newBuilder();
    for (ContainerPreferredAllocationRequest container : request.getContainerRequestsList()) {
      List<String> assigned = List.of();
      if (pods.peek(container.getAllocationSize()) instanceof Selection.Found found) {
        assigned = found.claim().gpus().stream().map(VisibleGpu::uuid).toList();
      }
      answer.addContainerResponses(ContainerPreferredAllocationResponse.newBuilder()
          .addAllDeviceIDs(PreferredDevices.choose(
              container.getAvailableDeviceIDsList(),
              container.getMustIncludeDeviceIDsList(),
              container.getAllocationSize(),
              assigned)));
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  /**
   * Matches the call to a pod and answers, for every container of the request, with that pod's
   * GPUs. kubelet sends one container per call; should a request carry several, they are taken as
   * containers of one pod and all get its GPUs.
   */
  @Override
  public void allocate(AllocateRequest request, StreamObserver<AllocateResponse> response) {
    List<ContainerAllocateRequest> containers = request.getContainerRequestsList();
    if (containers.isEmpty()) {
      response.onError(Status.INVALID_ARGUMENT.withDescription("Allocate without container requests").asRuntimeException());
      return;
    }
    List<String> ids = containers.stream().flatMap(c -> c.getDevicesIdsList().stream()).toList();
    try {
      Selection selection = pods.claim(ids.size());
      if (selection instanceof Selection.NotFound notFound) {
        log.warn("refused Allocate of {}: {}", ids, notFound.explanation());
        response.onError(Status.FAILED_PRECONDITION.withDescription(notFound.explanation()).asRuntimeException());
        return;
      }
      PodClaim claim = ((Selection.Found) selection).claim();
      if (!claim.exclusive()) {
        createUsageDir(claim);
      }
      ContainerAllocateResponse container = settings.forClaim(claim);
      for (String problem : claim.annotationProblems()) {
        log.warn("pod {}: {}", claim.pod(), problem);
        events.warning(claim.record(), INVALID_COMPUTE_SHARE, problem);
      }
      AllocateResponse.Builder answer = AllocateResponse.newBuilder();
      containers.forEach(c -> answer.addContainerResponses(container));
      response.onNext(answer.build());
      response.onCompleted();
      log.info(
          "Allocate of {} matched pod {}: {} GPU(s) {}",
          ids, claim.pod(), claim.exclusive() ? "whole" : "shared", describe(claim));
    } catch (RuntimeException e) {
      log.error("Allocate of {} failed: {}", ids, e.toString(), e);
      response.onError(Status.INTERNAL.withDescription("Allocate failed: " + e).withCause(e).asRuntimeException());
    }
  }

  @Override
  public void preStartContainer(PreStartContainerRequest request, StreamObserver<PreStartContainerResponse> response) {
    // Not asked for at registration (pre_start_required is false); answered in case kubelet calls.
    response.onNext(PreStartContainerResponse.getDefaultInstance());
    response.onCompleted();
  }

  private void createUsageDir(PodClaim claim) {
    try {
      settings.recordClaim(claim);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "could not create the usage directory of pod {} ({}); the container runtime will create it"
              + " owned by root, and a non-root container may be unable to record its GPU memory use."
              + " Check that the agent's state directory is mounted writable",
          claim.pod(), e.toString());
    }
  }

  private static String describe(PodClaim claim) {
    return claim.gpus().stream()
        .map(g -> g.index() + "=" + g.uuid() + (claim.exclusive() ? "" : " limit " + (g.memoryLimitBytes() >> 20) + " MiB"
            + (g.paced() ? ", compute " + g.computeSharePercent() + "%" : "")
            + (g.swapBytes() > 0 ? ", swap " + (g.swapBytes() >> 20) + " MiB" : "")))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
