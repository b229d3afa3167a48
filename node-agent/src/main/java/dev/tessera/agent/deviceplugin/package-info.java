/**
 * The kubelet device plugin (API v1beta1) for the node's GPUs.
 *
 * <p>{@link dev.tessera.agent.deviceplugin.DevicePlugin} is the entry point: it serves the {@code
 * DevicePlugin} gRPC service on a unix socket in kubelet's plugin directory, registers it with
 * kubelet, and serves and registers again when kubelet restarts. Device IDs are slots, one per GPU
 * (its UUID), healthy or not ({@code HealthMonitor}). What a container gets is decided by the
 * extender: {@code Allocate} finds the pod being started ({@link
 * dev.tessera.agent.deviceplugin.PodMatcher}, {@code PodSelector}), reads its {@code
 * tessera.dev/gpu-assignment} ({@link dev.tessera.api.assignment.AssignmentCodec}) and answers
 * with the GPUs and, for shared GPUs, the native library and its limits ({@code
 * ContainerSettings}).
 */
package dev.tessera.agent.deviceplugin;
