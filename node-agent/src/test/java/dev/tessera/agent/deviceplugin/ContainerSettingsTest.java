package dev.tessera.agent.deviceplugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerSettingsTest {
  private static final PodRef POD = new PodRef("team-a", "p", "5f0c6a2e-1b7d-4c1e-9a57-3c1f0b2d4e6f");

  @TempDir Path dir;

  @Test
  void wholeGpusGetOnlyTheirVisibleDevices() {
    ContainerSettings settings = new ContainerSettings(dir, dir);
    PodClaim claim = new PodClaim(POD, true, List.of(new VisibleGpu(0, "GPU-a", 0), new VisibleGpu(3, "GPU-d", 0)));

    ContainerAllocateResponse response = settings.forClaim(claim);

    assertEquals(Map.of("NVIDIA_VISIBLE_DEVICES", "GPU-a,GPU-d"), response.getEnvsMap());
    assertEquals(0, response.getMountsCount());
  }

  @Test
  void sharedGpusGetTheirLimitsInTheSameOrder() {
    ContainerSettings settings = new ContainerSettings(Path.of("/var/lib/tessera"), Path.of("/opt/tessera"));
    PodClaim claim = new PodClaim(POD, false, List.of(new VisibleGpu(5, "GPU-f", 2048), new VisibleGpu(1, "GPU-b", 512, 1024)));

    ContainerAllocateResponse response = settings.forClaim(claim);

    assertEquals("GPU-f,GPU-b", response.getEnvsOrThrow("NVIDIA_VISIBLE_DEVICES"));
    assertEquals("2048,1024", response.getEnvsOrThrow("TESSERA_GPU_MEMORY_LIMITS"));
    assertEquals("2048,512", response.getEnvsOrThrow("TESSERA_GPU_MEMORY_REQUESTS"));
    assertEquals("PCI_BUS_ID", response.getEnvsOrThrow("CUDA_DEVICE_ORDER"), "CUDA numbers them as listed");
    assertEquals("/var/lib/tessera/usage/" + POD.uid(), response.getMounts(0).getHostPath());
    assertEquals("/opt/tessera/lib", response.getMounts(1).getHostPath());
    assertTrue(response.getMounts(1).getReadOnly());
  }

  @Test
  void pacedGpusGetTheirComputeSharesInTheSameOrder() {
    ContainerSettings settings = new ContainerSettings(dir, dir);
    PodClaim claim = new PodClaim(POD, false, List.of(
        new VisibleGpu(1, "GPU-b", 1024, 1024, 30, 0), new VisibleGpu(4, "GPU-e", 1024, 1024, 100, 0)));

    ContainerAllocateResponse response = settings.forClaim(claim);

    assertEquals("30,100", response.getEnvsOrThrow("TESSERA_GPU_COMPUTE_SHARES"), "100: not paced on that one");
    assertFalse(response.getEnvsMap().containsKey("TESSERA_GPU_SWAP"));
  }

  @Test
  void withNoGpuPacedThereIsNoShareAtAll() {
    ContainerSettings settings = new ContainerSettings(dir, dir);
    PodClaim optedOut = new PodClaim(POD, false, List.of(new VisibleGpu(1, "GPU-b", 1024, 1024, 100, 0)));
    PodClaim whole = new PodClaim(POD, true, List.of(new VisibleGpu(1, "GPU-b", 0)));

    assertFalse(settings.forClaim(optedOut).getEnvsMap().containsKey("TESSERA_GPU_COMPUTE_SHARES"));
    assertFalse(settings.forClaim(whole).getEnvsMap().containsKey("TESSERA_GPU_COMPUTE_SHARES"));
  }

  @Test
  void aPodPlacedOnSwapIsToldHowMuchHostMemoryEachGpuHasForIt() {
    ContainerSettings settings = new ContainerSettings(dir, dir);
    PodClaim claim = new PodClaim(POD, false, List.of(
        new VisibleGpu(1, "GPU-b", 1024, 1024, 50, 512), new VisibleGpu(4, "GPU-e", 1024, 1024, 50, 0)));

    ContainerAllocateResponse response = settings.forClaim(claim);

    assertEquals("1", response.getEnvsOrThrow("TESSERA_GPU_SWAP"));
    assertEquals("512,0", response.getEnvsOrThrow("TESSERA_GPU_SWAP_HOST_BYTES"));
  }

  @Test
  void createsTheUsageDirectoryWritableByAnyUser() throws Exception {
    ContainerSettings settings = new ContainerSettings(dir, dir);

    settings.createUsageDir(POD);

    Path usage = dir.resolve("usage").resolve(POD.uid());
    assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(usage)));
  }

  @Test
  void aUidThatIsNoUuidNeverBecomesAPath() {
    ContainerSettings settings = new ContainerSettings(dir, dir);

    assertThrows(IllegalArgumentException.class, () -> settings.usageDir(new PodRef("a", "b", "../../etc")));
  }
}
