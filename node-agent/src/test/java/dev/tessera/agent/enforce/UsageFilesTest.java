package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.ContainerUsage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the native library's usage files, by the layout its header file defines. */
class UsageFilesTest {
  private static final long GIB = 1L << 30;

  @TempDir Path root;

  @Test
  void exportsEachContainersUseOfEachGpuWithItsPod() throws IOException {
    Path pod = Files.createDirectories(root.resolve("uid-1"));
    claim(pod, "gpu.0=GPU-aaa\ngpu.1=GPU-bbb\n");
    usageFile(pod.resolve("gpu-0.usage"), MAGIC_FROM_HEADER, 0, 20 * GIB, 3 * GIB);
    usageFile(pod.resolve("gpu-1.usage"), MAGIC_FROM_HEADER, 1, 20 * GIB, 5 * GIB);

    List<ContainerUsage> usage = new UsageFiles(root).read();

    assertEquals(
        List.of(
            new ContainerUsage("ml", "notebook", "uid-1", "main", "GPU-aaa", 3 * GIB, 20 * GIB),
            new ContainerUsage("ml", "notebook", "uid-1", "main", "GPU-bbb", 5 * GIB, 20 * GIB)),
        usage);
  }

  @Test
  void readsTheLoanFiguresAndEveryAttachedProcess() throws IOException {
    Path pod = UsageFileWriter.pod(root, "ml", "borrower", "uid-9", "GPU-aaa");
    UsageFileWriter.gpu(pod, 0).limits(2 * GIB, 6 * GIB).wanted(0)
        .process(41, 3 * GIB, 1234, 2).process(42, GIB, 1300, 0).write();

    GpuTenant tenant = new UsageFiles(root).tenants().get(0);

    assertEquals(2 * GIB, tenant.requestBytes());
    assertEquals(6 * GIB, tenant.limitBytes());
    assertEquals(4 * GIB, tenant.usedBytes());
    assertEquals(2 * GIB, tenant.borrowedBytes());
    assertEquals(
        List.of(new TenantProcess(41, 3 * GIB, 1234, 4026531836L, 2), new TenantProcess(42, GIB, 1300, 4026531836L, 0)),
        tenant.processes());
    assertEquals(
        new ContainerUsage("ml", "borrower", "uid-9", "main", "GPU-aaa", 4 * GIB, 6 * GIB, 2 * GIB),
        new UsageFiles(root).read().get(0));
  }

  @Test
  void aFileFromALibraryWithoutLoansHasItsLimitAsItsRequest() throws IOException {
    Path pod = UsageFileWriter.pod(root, "ml", "old", "uid-1", "GPU-aaa");
    UsageFileWriter.gpu(pod, 0).limits(0, 8 * GIB).process(7, GIB, 1, 0).write();

    GpuTenant tenant = new UsageFiles(root).tenants().get(0);

    assertEquals(8 * GIB, tenant.requestBytes());
    assertEquals(0, tenant.borrowedBytes());
  }

  @Test
  void skipsWhatIsNotThereYetOrNotOurs() throws IOException {
    Path started = Files.createDirectories(root.resolve("uid-1"));
    claim(started, "gpu.0=GPU-aaa\n"); // no usage file: the container has not used CUDA yet
    Files.createDirectories(root.resolve("uid-2")); // no claim: being set up
    Path foreign = Files.createDirectories(root.resolve("uid-3"));
    claim(foreign, "gpu.0=GPU-ccc\n");
    usageFile(foreign.resolve("gpu-0.usage"), 0x12345678, 0, GIB, GIB); // not initialised

    assertTrue(new UsageFiles(root).read().isEmpty());
    assertTrue(new UsageFiles(root.resolve("missing")).read().isEmpty());
  }

  /** The constants this reader uses are the ones native/src/tessera_usage.h defines. */
  @Test
  void agreesWithTheNativeHeader() throws IOException {
    Path header = Path.of("..", "native", "src", "tessera_usage.h");
    String text = Files.readString(header, StandardCharsets.UTF_8);
    assertEquals(UsageFiles.MAGIC, (int) Long.parseLong(define(text, "TESSERA_USAGE_MAGIC"), 16));
    assertEquals(UsageFiles.VERSION, Integer.parseInt(define(text, "TESSERA_USAGE_VERSION")));
    assertTrue(text.contains("uint64_t limit_bytes;    /* 24:"), "limit_bytes at offset 24");
    assertTrue(text.contains("uint64_t used_bytes;     /* 32:"), "used_bytes at offset 32");
    assertTrue(text.contains("int32_t device_ordinal;  /* 20:"), "device_ordinal at offset 20");
    assertTrue(text.contains("offsetof(tessera_usage_header, request_bytes) == 48"), "request_bytes at offset 48");
    assertTrue(text.contains("offsetof(tessera_usage_header, wanted_bytes) == 56"), "wanted_bytes at offset 56");
    assertTrue(text.contains("offsetof(tessera_usage_slot, oom_count) == 40"), "a slot's oom_count at offset 40");
    assertTrue(text.contains("offsetof(tessera_usage_slot, wanted_bytes) == 48"), "a slot's wanted_bytes at offset 48");
    assertTrue(text.contains("#define TESSERA_USAGE_SLOTS " + UsageFiles.SLOT_COUNT + "u"), "slot count");
  }

  private static final int MAGIC_FROM_HEADER = UsageFiles.MAGIC;

  private static String define(String text, String name) {
    Matcher m = Pattern.compile("#define " + name + " (?:0x)?([0-9a-fA-F]+)u").matcher(text);
    assertTrue(m.find(), name + " not found in the header");
    return m.group(1);
  }

  private static void claim(Path dir, String gpus) throws IOException {
    Files.writeString(
        dir.resolve("claim.properties"),
        "namespace=ml\npod=notebook\npodUid=" + dir.getFileName() + "\ncontainer=main\n" + gpus);
  }

  private static void usageFile(Path file, int magic, int ordinal, long limit, long used) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(64 + 256 * 64).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putInt(0, magic).putInt(4, 1).putInt(8, 64).putInt(12, 64).putInt(16, 256).putInt(20, ordinal);
    bytes.putLong(24, limit).putLong(32, used);
    Files.write(file, bytes.array());
  }
}
