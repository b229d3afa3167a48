package dev.tessera.agent.deviceplugin;

import dev.tessera.agent.enforce.PodEvents;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.kube.KubeApi;
import dev.tessera.proto.deviceplugin.v1beta1.RegisterRequest;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet device plugin (API v1beta1) for the node's GPUs: serves {@code DevicePlugin} on a
 * unix socket in kubelet's plugin directory and registers it with kubelet.
 *
 * <p>kubelet deletes every plugin socket when it restarts and forgets its plugins. So every
 * {@link DevicePluginConfig#socketCheckPeriod} the plugin looks for its socket file: when it is
 * gone, the server is started again on a new socket and the plugin registers anew. A registration
 * that failed (kubelet not up yet, or restarting) is retried on the same beat.
 *
 * <pre>{@code
 * DevicePlugin plugin = new DevicePlugin(config, gpus, api, scheduler, Clock.systemUTC());
 * plugin.start();   // lists pods, samples GPUs, serves, registers
 * ...
 * plugin.close();   // ends streams, stops serving, removes the socket
 * }</pre>
 *
 * The scheduler (one thread is enough) runs health sampling and the socket check; it belongs to the
 * caller and is not shut down by {@link #close}.
 */
public final class DevicePlugin implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DevicePlugin.class);

  private final DevicePluginConfig config;
  private final ScheduledExecutorService scheduler;
  private final HealthMonitor health;
  private final PodMatcher pods;
  private final DevicePluginService service;
  private final RegisterRequest registerRequest;

  private final Object lifecycle = new Object();
  /** Guarded by lifecycle. */
  private boolean started;
  /** Guarded by lifecycle. */
  private boolean closed;
  /** Guarded by lifecycle. */
  private EventLoopGroup group;
  /** Guarded by lifecycle. */
  private KubeletRegistration registration;
  /** Guarded by lifecycle. */
  private Server server;
  /** Guarded by lifecycle. */
  private ScheduledFuture<?> watchdog;
  /** Guarded by lifecycle: the last registration failure logged at WARN, so a retry loop logs it once. */
  private String lastProblem;

  private volatile boolean registered;

  /**
   * @param gpus the node's GPUs: the device list and the index-to-UUID mapping
   * @param api the API server, for the pods bound to this node (list, watch, patch)
   * @param scheduler runs health sampling and the socket check; not shut down by {@link #close}
   * @param clock the time written into {@value PodAnnotations#GPU_ALLOCATED}
   */
  public DevicePlugin(
      DevicePluginConfig config,
      GpuBackend gpus,
      KubeApi api,
      ScheduledExecutorService scheduler,
      Clock clock) {
    this(config, gpus, api, scheduler, clock, PodEvents.NONE);
  }

  /** @param events where a pod hears what was wrong with its annotations (Warning events) */
  public DevicePlugin(
      DevicePluginConfig config,
      GpuBackend gpus,
      KubeApi api,
      ScheduledExecutorService scheduler,
      Clock clock,
      PodEvents events) {
    this.config = Objects.requireNonNull(config, "config");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.health = new HealthMonitor(gpus, config.slotsPerGpu(), config.healthPeriod(), scheduler);
    ContainerSettings settings = new ContainerSettings(config.stateDir(), config.installDir());
    // A deleted pod's usage files would otherwise be exported as a container forever.
    this.pods = new PodMatcher(api, config.nodeName(), config.resourceName(), gpus, clock, settings::removeUsageDir);
    this.service = new DevicePluginService(health, pods, settings, events);
    this.registerRequest = KubeletRegistration.request(config.socketName(), config.resourceName());
    health.addListener(service::publish);
  }

  /**
   * Lists the pods bound to this node, samples the GPUs, serves the socket and registers with
   * kubelet. A registration that fails is logged and retried in the background: kubelet may start
   * after the agent.
   *
   * @throws IllegalStateException when the pods cannot be listed or this is not Linux
   * @throws UncheckedIOException when the socket cannot be served
   */
  public void start() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the device plugin is closed");
      }
      if (started) {
        throw new IllegalStateException("the device plugin is already started");
      }
      started = true;
    }
    try {
      pods.start(config.podSyncTimeout());
      health.start();
      synchronized (lifecycle) {
        if (closed) {
          return;
        }
        group = UnixSockets.newEventLoopGroup(2);
        registration = new KubeletRegistration(config.kubeletSocketPath(), group, config.registerTimeout());
        serveAndRegister();
        long period = config.socketCheckPeriod().toMillis();
        watchdog = scheduler.scheduleWithFixedDelay(this::checkQuietly, period, period, TimeUnit.MILLISECONDS);
      }
      log.info(
          "device plugin for {} on node {} started: socket {}, kubelet at {}",
          config.resourceName(), config.nodeName(), config.socketPath(), config.kubeletSocketPath());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Whether kubelet accepted the last registration; false while a retry is pending. */
  public boolean registered() {
    return registered;
  }

  /** Our socket file. */
  public Path socketPath() {
    return config.socketPath();
  }

  /**
   * Ends the ListAndWatch streams (kubelet then treats the devices as gone until a plugin registers
   * again), stops serving, removes the socket file, stops the pod watch. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      if (watchdog != null) {
        watchdog.cancel(false);
      }
      stopServer();
      try {
        Files.deleteIfExists(config.socketPath());
      } catch (IOException e) {
        log.warn("could not remove the device plugin socket {}: {}", config.socketPath(), e.toString());
      }
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
      }
    }
    registered = false;
    health.close();
    pods.close();
    log.info("device plugin for {} stopped", config.resourceName());
  }

  /** Under lifecycle. */
  private void serveAndRegister() {
    stopServer();
    try {
      server = UnixSockets.serve(config.socketPath(), group, service);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve the device plugin on " + config.socketPath() + ": " + e.getMessage()
              + ". Check that kubelet's device-plugins directory is mounted writable into the agent",
          e);
    }
    log.info("serving the device plugin on {}", config.socketPath());
    registered = false;
    lastProblem = null;
    tryRegister();
  }

  /** Under lifecycle. */
  private void tryRegister() {
    Path kubeletSocket = registration.socket();
    if (!Files.exists(kubeletSocket)) {
      problem(
          "kubelet's socket " + kubeletSocket + " does not exist; is kubelet running, and is its"
              + " device-plugins directory mounted into the agent? Retrying every " + config.socketCheckPeriod());
      return;
    }
    try {
      registration.register(registerRequest);
      registered = true;
      lastProblem = null;
      log.info(
          "registered with kubelet: resource {}, endpoint {}, {} GPU(s)",
          config.resourceName(), config.socketName(), health.current().devices().size());
    } catch (StatusRuntimeException e) {
      problem(
          "kubelet refused or did not answer the registration of " + config.resourceName() + " ("
              + e.getStatus().getCode() + ": " + e.getStatus().getDescription() + "). Retrying every "
              + config.socketCheckPeriod() + "; if kubelet says the resource is taken, another device"
              + " plugin (NVIDIA's?) serves it on this node");
    }
  }

  private void problem(String message) {
    if (message.equals(lastProblem)) {
      log.debug("{}", message);
    } else {
      log.warn("{}", message);
      lastProblem = message;
    }
  }

  /** Under lifecycle. */
  private void stopServer() {
    if (server == null) {
      return;
    }
    service.endStreams();
    server.shutdownNow();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("the old device plugin server did not stop within 5 s; going on without it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  private void check() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      if (!Files.exists(config.socketPath())) {
        log.warn(
            "the device plugin socket {} was deleted, as kubelet does when it restarts; serving it"
                + " again and registering anew",
            config.socketPath());
        serveAndRegister();
      } else if (!registered) {
        tryRegister();
      }
    }
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      // Keep the scheduled check alive: the next beat tries again.
      log.error("the device plugin socket check failed: {}", e.toString(), e);
    }
  }
}
