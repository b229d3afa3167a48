package dev.tessera.agent.gpu;

/**
 * The figures of a GPU beyond the ones placement rests on: what dcgm-exporter exports by default
 * and NVML can give. Each is {@link GpuSample#UNKNOWN} where NVML could not give it (not supported
 * by this board or driver, or in MIG mode); the metrics then leave its series out rather than show
 * a made-up value.
 *
 * @param memoryReservedBytes framebuffer the driver keeps for itself (NVML memory info v2)
 * @param memoryClockMhz current memory clock
 * @param memoryTemperatureCelsius HBM temperature (NVML field 82); boards without a sensor: UNKNOWN
 * @param totalEnergyMillijoules energy used since the driver was loaded; only grows
 * @param pcieReplays PCIe replays since the driver was loaded; only grows
 * @param memoryCopyUtilPercent memory interface busy percent (NVML utilization's "memory")
 * @param encoderUtilPercent video encoder busy percent
 * @param decoderUtilPercent video decoder busy percent
 * @param nvlinkTotalKib NVLink data sent and received since the driver was loaded, in KiB
 * @param correctableRemappedRows framebuffer rows remapped after correctable errors
 * @param uncorrectableRemappedRows framebuffer rows remapped after uncorrectable errors
 * @param rowRemapFailure 1 when a remap failed (the GPU needs service), else 0
 * @param pcieTxKbPerSecond PCIe sent, KB/s over NVML's last 20 ms
 * @param pcieRxKbPerSecond PCIe received, KB/s over NVML's last 20 ms
 * @param retiredPagesSingleBit pages retired after repeated single-bit errors (before Ampere)
 * @param retiredPagesDoubleBit pages retired after a double-bit error (before Ampere)
 */
public record GpuFigures(
    long memoryReservedBytes,
    int memoryClockMhz,
    int memoryTemperatureCelsius,
    long totalEnergyMillijoules,
    long pcieReplays,
    int memoryCopyUtilPercent,
    int encoderUtilPercent,
    int decoderUtilPercent,
    long nvlinkTotalKib,
    long correctableRemappedRows,
    long uncorrectableRemappedRows,
    int rowRemapFailure,
    long pcieTxKbPerSecond,
    long pcieRxKbPerSecond,
    long retiredPagesSingleBit,
    long retiredPagesDoubleBit) {
  private static final int U = GpuSample.UNKNOWN;

  /** Nothing known: a backend that reads none of these, or a GPU that did not answer. */
  public static final GpuFigures NONE = new GpuFigures(U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U);
}
