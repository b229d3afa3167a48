package dev.tessera.agent.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Finding and killing real processes through the real /proc. */
class ProcFsTest {
  private static final Path PROC = Path.of("/proc");
  private static final GpuTenant TENANT = new GpuTenant(
      new ClaimRecord("team", "p", "0b6f9c1e-5d2a-4c7e-8f31-2a9d4e6b7c80", "main", List.of("GPU-1")),
      0, "GPU-1", 0, 0, 0, 0, List.of());

  private Process child;

  @BeforeEach
  void startChild() throws Exception {
    assumeTrue(Files.isDirectory(PROC.resolve("self")), "needs Linux /proc");
    child = new ProcessBuilder("sleep", "60").start();
  }

  @AfterEach
  void stopChild() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  @Test
  void findsAProcessByItsSlotAndKillsIt() throws Exception {
    TenantProcess slot = slotOf(child.pid());

    assertEquals(OptionalLong.of(child.pid()), new ProcFs(PROC).hostPid(TENANT, slot));
    assertTrue(new ProcFs(PROC).kill(child.pid()));
    assertTrue(child.waitFor(10, TimeUnit.SECONDS), "SIGKILL ends it");
  }

  @Test
  void aReusedPidWithAnotherStartTimeIsNotTheSlotsProcess() {
    TenantProcess slot = slotOf(child.pid());
    TenantProcess earlier = new TenantProcess(slot.pid(), 0, slot.startTime() - 1, slot.pidNamespace(), 0);

    assertEquals(OptionalLong.empty(), new ProcFs(PROC).hostPid(TENANT, earlier));
    assertTrue(child.isAlive());
  }

  @Test
  void aSlotFromAnotherNamespaceIsSearchedForByItsInnerPid() {
    TenantProcess slot = slotOf(child.pid());
    // Another namespace inode: the fast path does not apply and /proc is searched. The child's
    // namespace is not that one, so it must not match.
    TenantProcess foreign = new TenantProcess(slot.pid(), 0, slot.startTime(), slot.pidNamespace() + 1, 0);

    assertEquals(OptionalLong.empty(), new ProcFs(PROC).hostPid(TENANT, foreign));
  }

  @Test
  void aSlotWithoutANamespaceMatchesOnlyInThePodsCgroup() {
    TenantProcess slot = slotOf(child.pid());
    TenantProcess noNamespace = new TenantProcess(slot.pid(), 0, slot.startTime(), 0, 0);

    // This test's processes are in no pod's cgroup.
    assertEquals(OptionalLong.empty(), new ProcFs(PROC).hostPid(TENANT, noNamespace));
  }

  @Test
  void killingAProcessThatIsGoneSaysSo() throws Exception {
    child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    assertFalse(new ProcFs(PROC).kill(child.pid()));
  }

  @Test
  void readsStatFieldsPastACommandNameWithSpacesAndParentheses() throws Exception {
    Path dir = Files.createTempDirectory("proc");
    Files.writeString(dir.resolve("stat"),
        "4711 (my (odd) name) S 1 4711 4711 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 ...");

    assertEquals(OptionalLong.of(987654), ProcFs.startTime(dir));
  }

  private static TenantProcess slotOf(long pid) {
    Path dir = PROC.resolve(Long.toString(pid));
    return new TenantProcess((int) pid, 1, ProcFs.startTime(dir).orElseThrow(), ProcFs.pidNamespace(dir).orElseThrow(), 0);
  }
}
