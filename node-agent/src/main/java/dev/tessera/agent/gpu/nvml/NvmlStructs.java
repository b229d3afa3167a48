package dev.tessera.agent.gpu.nvml;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * Byte layouts of the NVML structs the binding fills, spelled out as offsets rather than left to a
 * mapper: on 64-bit Linux an {@code unsigned long long} after an {@code unsigned int} starts 4
 * bytes later than a naive reading of the header suggests, and a wrong stride through a process
 * array reads plausible garbage instead of failing.
 */
final class NvmlStructs {
  /** {@code nvmlMemory_t}: {ull total, free, used}. Here "used" includes the reserved memory. */
  static final int MEMORY_V1_SIZE = 24;

  /** {@code nvmlMemory_v2_t}: {uint version; 4 bytes padding; ull total, reserved, free, used}. */
  static final int MEMORY_V2_SIZE = 40;

  /** NVML_STRUCT_VERSION(Memory, 2): the struct size with the version in the top byte. */
  static final int MEMORY_V2_VERSION = MEMORY_V2_SIZE | 2 << 24;

  /** {@code nvmlUtilization_t}: {uint gpu, memory}, both percent. */
  static final int UTILIZATION_SIZE = 8;

  /** {@code nvmlTemperature_v1_t}: {uint version; uint sensorType; int temperature}. */
  static final int TEMPERATURE_V1_SIZE = 12;

  static final int TEMPERATURE_V1_VERSION = TEMPERATURE_V1_SIZE | 1 << 24;

  /** {@code NVML_TEMPERATURE_GPU}: the core sensor, the one dashboards show. */
  static final int TEMPERATURE_SENSOR_GPU = 0;

  /** {@code NVML_CLOCK_SM}. */
  static final int CLOCK_SM = 1;

  /** {@code NVML_CLOCK_MEM}. */
  static final int CLOCK_MEM = 2;

  /**
   * {@code nvmlPciInfo_t}: {char busIdLegacy[16]; uint domain, bus, device, pciDeviceId,
   * pciSubSystemId; char busId[32]}: 68 bytes, the 32-byte bus id at offset 36.
   */
  static final int PCI_INFO_SIZE = 68;

  static final int PCI_BUS_ID_OFFSET = 36;
  static final int PCI_BUS_ID_SIZE = 32;

  /**
   * {@code nvmlFieldValue_t}: {uint fieldId, scopeId; long long timestamp, latencyUsec;
   * nvmlValueType_t valueType; nvmlReturn_t nvmlReturn; nvmlValue_t value (an 8-byte union)}.
   */
  static final int FIELD_VALUE_SIZE = 40;

  static final int FIELD_VALUE_TYPE_OFFSET = 24;
  static final int FIELD_RETURN_OFFSET = 28;
  static final int FIELD_VALUE_OFFSET = 32;

  /** {@code NVML_FI_DEV_MEMORY_TEMP}: HBM temperature, °C. */
  static final int FI_MEMORY_TEMP = 82;

  /** {@code NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_TX} and {@code _RX}: KiB over all links. */
  static final int FI_NVLINK_DATA_TX = 138;

  static final int FI_NVLINK_DATA_RX = 139;

  /** A scope of all links, for the NVLink throughput fields. */
  static final int SCOPE_ALL_LINKS = 0xFFFFFFFF;

  /**
   * {@code nvmlEventData_t}: {nvmlDevice_t device; ull eventType, eventData; uint gpuInstanceId,
   * computeInstanceId}: 32 bytes on 64-bit Linux.
   */
  static final int EVENT_DATA_SIZE = 32;

  /** {@code nvmlEventTypeXidCriticalError}. */
  static final long EVENT_TYPE_XID = 0x8L;

  /** {@code NVML_DEVICE_MIG_ENABLE}. */
  static final int MIG_ENABLED = 1;

  /** Large enough for a UUID, a product name or a version string (NVML's v2 UUID size). */
  static final int STRING_BUFFER_SIZE = 96;

  private NvmlStructs() {}

  /** A zeroed {@code nvmlMemory_v2_t} with its version set, ready to pass. */
  static Memory newMemoryV2() {
    Memory memory = zeroed(MEMORY_V2_SIZE);
    memory.setInt(0, MEMORY_V2_VERSION);
    return memory;
  }

  static NvmlMemory readMemoryV2(Pointer memory) {
    return new NvmlMemory(
        memory.getLong(8), memory.getLong(16), memory.getLong(24), memory.getLong(32));
  }

  static NvmlMemory readMemoryV1(Pointer memory) {
    return new NvmlMemory(memory.getLong(0), -1, memory.getLong(8), memory.getLong(16));
  }

  /** A zeroed {@code nvmlTemperature_v1_t} asking for the GPU core sensor. */
  static Memory newTemperatureV1() {
    Memory temperature = zeroed(TEMPERATURE_V1_SIZE);
    temperature.setInt(0, TEMPERATURE_V1_VERSION);
    temperature.setInt(4, TEMPERATURE_SENSOR_GPU);
    return temperature;
  }

  static int readTemperatureV1(Pointer temperature) {
    return temperature.getInt(8);
  }

  /**
   * The value of one {@code nvmlFieldValue_t} as a long: NVML picks the union member per field,
   * and says which in {@code valueType} (0 double, 1 uint, 2 ulong, 3 ull, 4 sll, 5 sint, 6 ushort).
   */
  static long readFieldValue(Pointer field) {
    long offset = FIELD_VALUE_OFFSET;
    return switch (field.getInt(FIELD_VALUE_TYPE_OFFSET)) {
      case 0 -> Math.round(field.getDouble(offset));
      case 1 -> unsigned(field.getInt(offset));
      case 5 -> field.getInt(offset);
      case 6 -> field.getShort(offset) & 0xFFFF;
      default -> field.getLong(offset);
    };
  }

  static Memory zeroed(long size) {
    Memory memory = new Memory(size);
    memory.clear();
    return memory;
  }

  /** NVML's unsigned ints read as Java longs, so 3 GHz or 3 kW never turn negative. */
  static long unsigned(int value) {
    return Integer.toUnsignedLong(value);
  }
}
