package dev.tessera.agent.report;

import com.google.protobuf.Timestamp;
import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.GpuState;
import dev.tessera.agent.NodeSnapshot;
import dev.tessera.agent.enforce.ComputeShareState;
import dev.tessera.agent.gpu.GpuInfo;
import dev.tessera.agent.gpu.GpuSample;
import dev.tessera.proto.agent.v1.ComputeShares;
import dev.tessera.proto.agent.v1.Gpu;
import dev.tessera.proto.agent.v1.NodeReport;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Turns a snapshot into the {@code NodeReport} the extender reads.
 *
 * <p>proto3 scalars have no "unknown": a figure NVML could not give ({@link GpuSample#UNKNOWN}) is
 * sent as 0. The extender reads GPU figures only for healthy GPUs.
 */
public final class ReportBuilder {
  private final String nodeName;
  private final String agentVersion;
  private final long swapHostBytes;
  private final Supplier<ComputeShareState> computeShares;

  public ReportBuilder(String nodeName, String agentVersion) {
    this(nodeName, agentVersion, 0, () -> ComputeShareState.NONE);
  }

  /**
   * @param swapHostBytes host memory the node lends to GPU memory swap (configuration)
   * @param computeShares the compute scheduler's latest decisions, read at each report
   */
  public ReportBuilder(
      String nodeName, String agentVersion, long swapHostBytes, Supplier<ComputeShareState> computeShares) {
    this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    this.agentVersion = Objects.requireNonNull(agentVersion, "agentVersion");
    this.swapHostBytes = swapHostBytes;
    this.computeShares = Objects.requireNonNull(computeShares, "computeShares");
  }

  public NodeReport build(NodeSnapshot snapshot) {
    NodeReport.Builder report =
        NodeReport.newBuilder()
            .setNodeName(nodeName)
            .setAgentVersion(agentVersion)
            .setSentAt(timestamp(snapshot.takenAt()))
            .setSwapHostBytes(swapHostBytes);
    ComputeShareState shares = computeShares.get();
    for (GpuState gpu : snapshot.gpus()) {
      Gpu.Builder entry = gpu(gpu.info(), gpu.sample()).toBuilder();
      shares.gpu(gpu.info().uuid()).ifPresent(s -> entry.setComputeShares(ComputeShares.newBuilder()
          .setGuaranteedPercent(s.guaranteedPercent())
          .setLentPercent(s.lentPercent())
          .setIdlePercent(s.idlePercent())
          .setTenants(s.tenants())));
      report.addGpus(entry);
    }
    for (ContainerUsage c : snapshot.containers()) {
      report.addContainersBuilder()
          .setNamespace(c.namespace())
          .setPod(c.pod())
          .setPodUid(c.podUid())
          .setContainer(c.container())
          .setGpuUuid(c.gpuUuid())
          .setMemoryUsedBytes(c.memoryUsedBytes())
          .setMemoryLimitBytes(c.memoryLimitBytes())
          .setMemoryRequestBytes(c.memoryRequestBytes());
    }
    return report.build();
  }

  private static Gpu gpu(GpuInfo info, GpuSample sample) {
    return Gpu.newBuilder()
        .setIndex(info.index())
        .setUuid(info.uuid())
        .setModel(info.model())
        .setMemoryTotalBytes(info.memoryTotalBytes())
        .setMemoryUsedBytes(orZero(sample.memoryUsedBytes()))
        .setUtilizationPercent((int) orZero(sample.utilizationPercent()))
        .setTemperatureCelsius(sample.temperatureCelsius() == GpuSample.UNKNOWN ? 0 : sample.temperatureCelsius())
        .setPowerMilliwatts((int) Math.min(orZero(sample.powerMilliwatts()), 0xFFFF_FFFFL))
        .setSmClockMhz((int) orZero(sample.smClockMhz()))
        .setHealthy(sample.healthy())
        .setHealthReason(sample.healthReason())
        .setMigEnabled(info.migEnabled())
        .build();
  }

  private static long orZero(long figure) {
    return figure == GpuSample.UNKNOWN || figure < 0 ? 0 : figure;
  }

  private static Timestamp timestamp(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }
}
