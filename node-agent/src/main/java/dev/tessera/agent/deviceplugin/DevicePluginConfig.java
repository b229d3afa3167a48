package dev.tessera.agent.deviceplugin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of the kubelet device plugin.
 *
 * @param nodeName this node's name as the API server knows it ({@code spec.nodeName} of the pods
 *     bound here); in a DaemonSet, from the downward API
 * @param pluginDir kubelet's device-plugin directory: {@code kubelet.sock} is there, and our own
 *     socket goes there too
 * @param socketName our socket's file name in {@code pluginDir}; unique among the node's plugins
 * @param resourceName the extended resource the slots are advertised as
 * @param stateDir host directory for the agent's state; per-pod usage files go under
 *     {@code <stateDir>/usage/<pod-uid>}
 * @param installDir host directory the native library is installed in, under {@code lib/}
 * @param healthPeriod how often the GPUs' health is sampled for ListAndWatch
 * @param socketCheckPeriod how often to look whether kubelet deleted our socket (it does on
 *     restart) and to retry a registration that failed
 * @param registerTimeout the deadline of one Register call to kubelet
 * @param podSyncTimeout how long {@code start} waits for the pod informer's first listing
 * @param slotsPerGpu device IDs offered per GPU: 1 for whole GPUs; more for the shared resource,
 *     where each fractional container takes one slot of the GPU its assignment names
 */
public record DevicePluginConfig(
    String nodeName,
    Path pluginDir,
    String socketName,
    String resourceName,
    Path stateDir,
    Path installDir,
    Duration healthPeriod,
    Duration socketCheckPeriod,
    Duration registerTimeout,
    Duration podSyncTimeout,
    int slotsPerGpu) {

  public static final Path DEFAULT_PLUGIN_DIR = Path.of("/var/lib/kubelet/device-plugins");
  public static final String DEFAULT_SOCKET_NAME = "tessera-gpu.sock";
  public static final String DEFAULT_RESOURCE_NAME = "nvidia.com/gpu";
  /** What fractional pods request, one per container that uses a GPU share. */
  public static final String SHARED_RESOURCE_NAME = "tessera.dev/gpu-share";
  public static final String SHARED_SOCKET_NAME = "tessera-gpu-share.sock";
  /** Shared slots per GPU by default: more fractional containers than that on one GPU is not useful. */
  public static final int DEFAULT_SHARED_SLOTS = 32;
  static final int MAX_SLOTS_PER_GPU = 1024;
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/tessera");
  public static final Path DEFAULT_INSTALL_DIR = Path.of("/var/lib/tessera");
  public static final Duration DEFAULT_HEALTH_PERIOD = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SOCKET_CHECK_PERIOD = Duration.ofSeconds(1);
  public static final Duration DEFAULT_REGISTER_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_POD_SYNC_TIMEOUT = Duration.ofSeconds(60);

  /** kubelet's own socket name in the plugin directory. */
  public static final String KUBELET_SOCKET = "kubelet.sock";

  // Kubernetes extended resource names: a DNS subdomain prefix, a slash, a name.
  private static final Pattern RESOURCE_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");

  public static DevicePluginConfig defaults(String nodeName) {
    return new DevicePluginConfig(
        nodeName,
        DEFAULT_PLUGIN_DIR,
        DEFAULT_SOCKET_NAME,
        DEFAULT_RESOURCE_NAME,
        DEFAULT_STATE_DIR,
        DEFAULT_INSTALL_DIR,
        DEFAULT_HEALTH_PERIOD,
        DEFAULT_SOCKET_CHECK_PERIOD,
        DEFAULT_REGISTER_TIMEOUT,
        DEFAULT_POD_SYNC_TIMEOUT,
        1);
  }

  public DevicePluginConfig {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(pluginDir, "pluginDir");
    Objects.requireNonNull(socketName, "socketName");
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(installDir, "installDir");
    if (nodeName.isBlank()) {
      throw new IllegalArgumentException(
          "node name is empty; pass the node's name (in a DaemonSet, from spec.nodeName via the downward API)");
    }
    if (socketName.isEmpty() || socketName.contains("/") || socketName.equals(KUBELET_SOCKET)) {
      throw new IllegalArgumentException(
          "socket name must be a plain file name other than " + KUBELET_SOCKET + ", was '" + socketName + "'");
    }
    if (!RESOURCE_NAME.matcher(resourceName).matches()) {
      throw new IllegalArgumentException(
          "resource name must look like 'vendor.example/name', was '" + resourceName + "'");
    }
    positive(healthPeriod, "health period");
    positive(socketCheckPeriod, "socket check period");
    positive(registerTimeout, "register timeout");
    positive(podSyncTimeout, "pod sync timeout");
    if (slotsPerGpu < 1 || slotsPerGpu > MAX_SLOTS_PER_GPU) {
      throw new IllegalArgumentException(
          "slots per GPU must be 1.." + MAX_SLOTS_PER_GPU + ", was " + slotsPerGpu);
    }
  }

  /**
   * The same plugin for fractional pods: kubelet only calls {@code Allocate} for containers that
   * request a device-plugin resource, and a fractional pod must not request {@code nvidia.com/gpu}
   * (that asks for whole GPUs). It requests one {@value #SHARED_RESOURCE_NAME} instead, offered as
   * {@code slots} slots per GPU on its own socket.
   */
  public DevicePluginConfig forSharedGpus(int slots) {
    return new DevicePluginConfig(nodeName, pluginDir, SHARED_SOCKET_NAME, SHARED_RESOURCE_NAME,
        stateDir, installDir, healthPeriod, socketCheckPeriod, registerTimeout, podSyncTimeout, slots);
  }

  public Path socketPath() {
    return pluginDir.resolve(socketName);
  }

  public Path kubeletSocketPath() {
    return pluginDir.resolve(KUBELET_SOCKET);
  }

  public DevicePluginConfig withPluginDir(Path dir) {
    return new DevicePluginConfig(nodeName, dir, socketName, resourceName, stateDir, installDir,
        healthPeriod, socketCheckPeriod, registerTimeout, podSyncTimeout, slotsPerGpu);
  }

  public DevicePluginConfig withResourceName(String name) {
    return new DevicePluginConfig(nodeName, pluginDir, socketName, name, stateDir, installDir,
        healthPeriod, socketCheckPeriod, registerTimeout, podSyncTimeout, slotsPerGpu);
  }

  public DevicePluginConfig withStateDir(Path dir) {
    return new DevicePluginConfig(nodeName, pluginDir, socketName, resourceName, dir, installDir,
        healthPeriod, socketCheckPeriod, registerTimeout, podSyncTimeout, slotsPerGpu);
  }

  public DevicePluginConfig withInstallDir(Path dir) {
    return new DevicePluginConfig(nodeName, pluginDir, socketName, resourceName, stateDir, dir,
        healthPeriod, socketCheckPeriod, registerTimeout, podSyncTimeout, slotsPerGpu);
  }

  public DevicePluginConfig withPeriods(Duration health, Duration socketCheck) {
    return new DevicePluginConfig(nodeName, pluginDir, socketName, resourceName, stateDir, installDir,
        health, socketCheck, registerTimeout, podSyncTimeout, slotsPerGpu);
  }

  private static void positive(Duration duration, String what) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + duration);
    }
  }
}
