package dev.tessera.agent.gpu.nvml;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Builds {@code src/test/c/fake_nvml.c} into {@code target/fake-nvml/} and knows its answers. The
 * constants here mirror the C file's device table; change both together.
 */
final class FakeNvml {
  static final long GIB = 1024L * 1024 * 1024;
  static final long MIB = 1024L * 1024;

  static final String DRIVER_VERSION = "999.88.7";
  static final String NVML_VERSION = "99.999.88.7";

  static final String H100_UUID = "GPU-11111111-2222-3333-4444-555555555555";
  static final String H100_NAME = "Fake H100 80GB HBM3";
  static final long H100_TOTAL = 80 * GIB;
  static final long H100_RESERVED = 512 * MIB;
  static final long H100_USED = 3 * GIB;
  static final int H100_UTILIZATION = 37;
  static final long H100_POWER_MW = 312_345;
  static final int H100_TEMPERATURE_V = 55;
  static final int H100_TEMPERATURE_LEGACY = 54;
  static final int H100_SM_CLOCK = 1755;
  /** The list is 2 long when first sized and 4 once read: it grows while being read. */
  static final int H100_PROCESSES = 4;

  static final String H100_PCI_BUS_ID = "00000000:3B:00.0";
  static final int H100_MINOR = 4;
  static final int H100_MEMORY_PERCENT = 21;
  static final int H100_MEM_CLOCK = 2619;
  static final int H100_MEMORY_TEMP = 63;
  static final int H100_ENC = 11;
  static final int H100_DEC = 12;
  static final long H100_ENERGY_MJ = 123_456_789_012L;
  static final long H100_PCIE_REPLAYS = 7;
  static final long H100_PCIE_TX_KBS = 3000;
  static final long H100_PCIE_RX_KBS = 4000;
  static final long H100_NVLINK_KIB = 1000 + 2000;
  static final long H100_REMAPPED_CORRECTABLE = 3;
  static final long H100_REMAPPED_UNCORRECTABLE = 1;
  static final long H100_RETIRED_SBE = 2;
  static final long H100_RETIRED_DBE = 1;

  static final String MIG_UUID = "GPU-22222222-3333-4444-5555-666666666666";
  static final String MIG_NAME = "Fake A100 in MIG mode";
  static final long MIG_TOTAL = 40 * GIB;
  static final long MIG_USED = 5 * GIB;
  static final int MIG_TEMPERATURE_V = 61;
  static final int MIG_SM_CLOCK = 1410;

  static final String LOST_UUID = "GPU-33333333-4444-5555-6666-777777777777";
  static final long LOST_TOTAL = 16 * GIB;

  /** Which symbols a build has, as drivers of different ages do. */
  enum Variant {
    CURRENT(),
    OLD_DRIVER("-DFAKE_OLD_DRIVER"),
    NO_PROCESSES_V3("-DFAKE_NO_PROCESSES_V3"),
    DRIVER_NOT_LOADED("-DFAKE_INIT_RESULT=9");

    private final List<String> flags;

    Variant(String... flags) {
      this.flags = List.of(flags);
    }
  }

  private static final Map<Variant, Path> BUILT = new ConcurrentHashMap<>();

  private FakeNvml() {}

  /** The library for {@code variant}, built once per test run; skips the test without gcc. */
  static Path library(Variant variant) {
    assumeTrue(
        gccAvailable(),
        "gcc is not on the PATH: the fake libnvidia-ml cannot be built, so the JNA binding tests"
            + " are skipped");
    return BUILT.computeIfAbsent(variant, FakeNvml::build);
  }

  /** How often the process list of GPU {@code index} was asked for since nvmlInit_v2. */
  static int processCalls(Path library, int index) {
    return NativeLibrary.getInstance(library.toString())
        .getFunction("fake_nvml_process_calls")
        .invokeInt(new Object[] {index});
  }

  /** "v3", "v2" or "v1": the process function the fake last answered. */
  static String lastProcessFunction(Path library) {
    return NativeLibrary.getInstance(library.toString())
        .getFunction("fake_nvml_last_process_function")
        .invokeString(new Object[0], false);
  }

  /** The driver reports XID {@code xid} on GPU {@code index}; false when that GPU is not registered. */
  static boolean injectXid(Path library, int index, int xid) {
    return NativeLibrary.getInstance(library.toString())
            .getFunction("fake_nvml_inject_xid")
            .invokeInt(new Object[] {index, xid})
        == 0;
  }

  /** nvmlInit_v2 calls not yet matched by nvmlShutdown. */
  static int initCount(Path library) {
    return NativeLibrary.getInstance(library.toString())
        .getFunction("fake_nvml_init_count")
        .invokeInt(new Object[0]);
  }

  private static Path build(Variant variant) {
    Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    Path source = module.resolve("src/test/c/fake_nvml.c");
    Path directory = module.resolve("target/fake-nvml");
    String fileName = "libfake-nvml-" + variant.name().toLowerCase() + ".so";
    try {
      Files.createDirectories(directory);
      // Built under a private name and moved into place, so that a build running beside this one
      // never loads a half-written file.
      Path scratch = Files.createTempFile(directory, fileName, ".tmp");
      List<String> command = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O1", "-Wall"));
      command.addAll(variant.flags);
      command.addAll(List.of("-o", scratch.toString(), source.toString()));
      Process gcc = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
        throw new IllegalStateException("gcc failed on " + source + ":\n" + output);
      }
      Path library = directory.resolve(fileName);
      Files.move(
          scratch, library, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return library.toAbsolutePath();
    } catch (IOException e) {
      throw new IllegalStateException("could not build " + source, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building " + source, e);
    }
  }

  private static boolean gccAvailable() {
    try {
      Process gcc = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
      gcc.getInputStream().readAllBytes();
      return gcc.waitFor(30, TimeUnit.SECONDS) && gcc.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
