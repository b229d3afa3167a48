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
 * GPU the container sees (layout: {@code native/src/tessera_usage.h}). Only the 64-byte header is
 * read: its {@code used_bytes} is the authoritative total of all the container's processes.
 */
public final class UsageFiles implements ContainerUsageSource {
  private static final Logger log = LoggerFactory.getLogger(UsageFiles.class);

  static final int MAGIC = 0x55525354; // "TSRU" little-endian
  static final int VERSION = 1;
  static final int HEADER_SIZE = 64;

  private final Path usageRoot;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public UsageFiles(Path usageRoot) {
    this.usageRoot = Objects.requireNonNull(usageRoot, "usageRoot");
  }

  @Override
  public List<ContainerUsage> read() {
    List<ContainerUsage> usage = new ArrayList<>();
    try (DirectoryStream<Path> pods = Files.newDirectoryStream(usageRoot, Files::isDirectory)) {
      for (Path dir : pods) {
        readPod(dir, usage);
      }
    } catch (NoSuchFileException e) {
      return List.of(); // no fractional pod has started on this node yet
    } catch (IOException e) {
      warnOnce(usageRoot.toString(), "cannot list " + usageRoot + ": " + e);
    }
    return usage;
  }

  private void readPod(Path dir, List<ContainerUsage> usage) {
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
      Optional<Header> header = readHeader(file);
      header.ifPresent(h -> usage.add(new ContainerUsage(
          record.namespace(), record.pod(), record.podUid(), record.container(),
          record.gpuUuids().get(h.ordinal() < record.gpuUuids().size() ? h.ordinal() : 0),
          h.usedBytes(), h.limitBytes())));
    }
  }

  /** The header, or empty while the file does not exist (the container has not used CUDA yet). */
  Optional<Header> readHeader(Path file) {
    ByteBuffer bytes = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (bytes.hasRemaining() && channel.read(bytes, bytes.position()) > 0) {
        // a short read only happens on a file still being created
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      warnOnce(file.toString(), "cannot read " + file + ": " + e);
      return Optional.empty();
    }
    if (bytes.hasRemaining() || bytes.getInt(0) != MAGIC) {
      return Optional.empty(); // the library initialises the header last
    }
    if (bytes.getInt(4) != VERSION || bytes.getInt(8) != HEADER_SIZE) {
      warnOnce(file.toString(), file + " has usage-file version " + bytes.getInt(4) + " (header "
          + bytes.getInt(8) + " bytes); this agent reads version " + VERSION + ". Upgrade the agent");
      return Optional.empty();
    }
    long limit = bytes.getLong(24);
    long used = bytes.getLong(32);
    if (limit < 0 || used < 0) {
      warnOnce(file.toString(), file + " holds impossible figures (limit " + limit + ", used " + used + ")");
      return Optional.empty();
    }
    return Optional.of(new Header(bytes.getInt(20), limit, used));
  }

  private void warnOnce(String key, String message) {
    if (warned.add(key)) {
      log.warn("{}; per-container GPU memory for it is not exported", message);
    }
  }

  /** What the agent uses of a usage file's header. */
  record Header(int ordinal, long limitBytes, long usedBytes) {}
}
