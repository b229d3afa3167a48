/**
 * The Tessera node agent: the per-GPU-node DaemonSet.
 *
 * <p>Nothing here yet. The agent arrives with the node-agent issue: NVML (and a simulated)
 * GPU backend, the kubelet device plugin ({@code dev.tessera.proto.deviceplugin.v1beta1}) that
 * reads the extender's {@code tessera.dev/gpu-assignment} annotation in {@code Allocate}, the
 * report stream to the extender ({@code dev.tessera.proto.agent.v1.NodeReports}), and
 * DCGM-compatible metrics. See DESIGN.md, "The node agent".
 */
package dev.tessera.agent;
