package dev.tessera.agent.enforce;

import dev.tessera.agent.ContainerUsage;
import dev.tessera.agent.ContainerUsageSource;
import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-container GPU memory use as the native library records it: under {@code <stateDir>/usage}
 * one directory per pod with its {@link ClaimRecord} and one {@code gpu-<ordinal>.usage} file per
 * GPU the container sees (layout: {@code native/src/tessera_usage.h}). The header's
 * {@code used_bytes} is the authoritative total of all the container's processes; the slots name
 * the processes, for taking loans back and reporting refusals.
 */
public final class UsageFiles implements ContainerUsageSource {
  private static final Logger log = LoggerFactory.getLogger(UsageFiles.class);

  static final int MAGIC = 0x55525354; // "TSRU" little-endian
  static final int VERSION = 1;
  static final int HEADER_SIZE = 64;
  static final int SLOT_SIZE = 64;
  static final int SLOT_COUNT = 256;
  static final int FILE_SIZE = HEADER_SIZE + SLOT_SIZE * SLOT_COUNT;

  private final Path usageRoot;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public UsageFiles(Path usageRoot) {
    this.usageRoot = Objects.requireNonNull(usageRoot, "usageRoot");
  }

  @Override
  public List<ContainerUsage> read() {
    List<ContainerUsage> usage = new ArrayList<>();
    for (GpuTenant tenant : tenants()) {
      usage.add(tenant.usage());
    }
    return usage;
  }

  /** Every container on a shared GPU of this node now, one entry per (container, GPU). */
  public List<GpuTenant> tenants() {
    List<GpuTenant> tenants = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(FILE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    try (DirectoryStream<Path> pods = Files.newDirectoryStream(usageRoot, Files::isDirectory)) {
      for (Path dir : pods) {
        readPod(dir, buffer, tenants);
      }
    } catch (NoSuchFileException e) {
      return List.of(); // no fractional pod has started on this node yet
    } catch (IOException e) {
      warnOnce(usageRoot.toString(), "cannot list " + usageRoot + ": " + e);
    }
    return tenants;
  }

  private void readPod(Path dir, ByteBuffer buffer, List<GpuTenant> tenants) {
    Optional<ClaimRecord> claim;
    try {
      claim = ClaimRecord.read(dir);
    } catch (IOException | RuntimeException e) {
      warnOnce(dir.toString(), "cannot read the claim in " + dir + ": " + e);
      return;
    }
    if (claim.isEmpty()) {
      return; // being written, or not a pod directory
    }
    ClaimRecord record = claim.get();
    for (int ordinal = 0; ordinal < record.gpuUuids().size(); ordinal++) {
      Path file = dir.resolve("gpu-" + ordinal + ".usage");
      if (readFile(file, buffer)) {
        tenant(file, record, buffer).ifPresent(tenants::add);
      }
    }
  }

  /** Fills {@code buffer} with the file; false while it does not exist or is not whole yet. */
  private boolean readFile(Path file, ByteBuffer buffer) {
    buffer.clear();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
        // a short read only happens on a file still being created
      }
    } catch (NoSuchFileException e) {
      return false; // the container has not used CUDA yet
    } catch (IOException e) {
      warnOnce(file.toString(), "cannot read " + file + ": " + e);
      return false;
    }
    return !buffer.hasRemaining() && buffer.getInt(0) == MAGIC; // the library sets the magic last
  }

  private Optional<GpuTenant> tenant(Path file, ClaimRecord claim, ByteBuffer bytes) {
    if (bytes.getInt(4) != VERSION || bytes.getInt(8) != HEADER_SIZE || bytes.getInt(12) != SLOT_SIZE
        || bytes.getInt(16) != SLOT_COUNT) {
      warnOnce(file.toString(), file + " has usage-file version " + bytes.getInt(4) + " (header "
          + bytes.getInt(8) + " bytes); this agent reads version " + VERSION + ". Upgrade the agent");
      return Optional.empty();
    }
    int ordinal = bytes.getInt(20);
    long limit = bytes.getLong(24);
    long used = bytes.getLong(32);
    long request = bytes.getLong(48);
    long wanted = bytes.getLong(56);
    if (request == 0) {
      request = limit; // written by a library that knows no loans
    }
    if (limit < 0 || used < 0 || wanted < 0 || request < 0 || request > limit) {
      warnOnce(file.toString(), file + " holds impossible figures (limit " + limit + ", request " + request
          + ", used " + used + ", wanted " + wanted + ")");
      return Optional.empty();
    }
    List<TenantProcess> processes = new ArrayList<>();
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
      int at = HEADER_SIZE + slot * SLOT_SIZE;
      int pid = bytes.getInt(at);
      long slotUsed = bytes.getLong(at + 8);
      long oomCount = bytes.getLong(at + 40);
      long slotWanted = bytes.getLong(at + 48);
      if (pid > 0 && slotUsed >= 0 && oomCount >= 0 && slotWanted >= 0) { // free, claimed or reclaimed: no process
        processes.add(new TenantProcess(
            pid, slotUsed, bytes.getLong(at + 24), bytes.getLong(at + 32), oomCount, slotWanted));
      }
    }
    String uuid = claim.gpuUuids().get(ordinal >= 0 && ordinal < claim.gpuUuids().size() ? ordinal : 0);
    return Optional.of(new GpuTenant(claim, ordinal, uuid, request, limit, used, wanted, processes));
  }

  private void warnOnce(String key, String message) {
    if (warned.add(key)) {
      log.warn("{}; per-container GPU memory for it is not exported", message);
    }
  }
}
