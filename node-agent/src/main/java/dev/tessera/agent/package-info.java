/**
 * The Tessera node agent: the per-GPU-node DaemonSet. See DESIGN.md, "The node agent".
 *
 * <p>{@link dev.tessera.agent.Main} parses the command line and {@link dev.tessera.agent.NodeAgent}
 * wires the parts by hand: a {@link dev.tessera.agent.gpu.GpuBackend} (NVML, or simulated) feeds
 * the {@link dev.tessera.agent.Sampler}, which swaps in an immutable {@link
 * dev.tessera.agent.NodeSnapshot} every period; the DCGM-named gauges ({@code metrics}) and the
 * report stream to the extender ({@code report}) only read the latest snapshot. The kubelet device
 * plugin ({@code deviceplugin}) runs beside them on the same backend.
 *
 * <p>This package also holds the values those parts share (snapshots, per-container usage and its
 * source), so that {@code metrics} and {@code report} need nothing of each other.
 */
package dev.tessera.agent;
