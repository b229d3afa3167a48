package dev.tessera.agent.enforce;

import dev.tessera.agent.deviceplugin.ClaimRecord;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compute files the native library keeps beside its usage files, one per paced container and
 * GPU ({@code <stateDir>/usage/<pod-uid>/gpu-<ordinal>.compute}; layout: {@code
 * tessera_compute_file} in {@code native/src/pacing.h}). The library writes the container's own
 * share and what its launches were charged and held; the agent writes the share it lets the
 * container have now, with a lease.
 *
 * <p>Files are mapped once and read and written with single atomic accesses at their natural
 * alignment, as the library does: a value is never torn, and a share written here is seen by the
 * library's next look (within 100 ms). Confined to one thread (the scheduler's): the mappings are
 * kept between calls.
 */
public final class ComputeShareFiles implements ComputeShareStore {
  private static final Logger log = LoggerFactory.getLogger(ComputeShareFiles.class);

  static final int MAGIC = 0x53435354; // "TSCS" little-endian
  static final int VERSION = 1;
  static final int FILE_SIZE = 64;
  static final int GUARANTEED = 8;
  static final int EFFECTIVE = 12;
  static final int LEASE = 16;
  static final int CHARGED = 24;
  static final int HELD = 32;

  // Atomic access to a direct buffer at an aligned offset (every field is naturally aligned).
  private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final Path usageRoot;
  private final Map<ComputeTenant.Key, MappedByteBuffer> mapped = new HashMap<>();
  private final Set<String> warned = new HashSet<>();

  public ComputeShareFiles(Path usageRoot) {
    this.usageRoot = Objects.requireNonNull(usageRoot, "usageRoot");
  }

  /** The name of a container's compute file for the GPU of CUDA ordinal {@code ordinal}. */
  public static String fileName(int ordinal) {
    return "gpu-" + ordinal + ".compute";
  }

  /** Every paced container on every GPU of this node now: those whose library made a compute file. */
  @Override
  public List<ComputeTenant> read() {
    List<ComputeTenant> tenants = new ArrayList<>();
    Set<ComputeTenant.Key> seen = new HashSet<>();
    try (DirectoryStream<Path> pods = Files.newDirectoryStream(usageRoot, Files::isDirectory)) {
      for (Path dir : pods) {
        readPod(dir, tenants, seen);
      }
    } catch (NoSuchFileException e) {
      // no fractional pod has started on this node yet
    } catch (IOException e) {
      warnOnce(usageRoot.toString(), "cannot list " + usageRoot + ": " + e);
    }
    mapped.keySet().retainAll(seen); // the pod is gone: its mapping goes with the next collection
    return tenants;
  }

  /**
   * Lets the tenant have {@code effectivePercent} of its GPU until {@code leaseUntil}; after that
   * the library falls back to the tenant's own share. The share comes first and the lease after,
   * so a library that sees the new lease also sees the new share.
   *
   * @return false when the tenant's file is no longer mapped (its pod went away)
   */
  @Override
  public boolean set(ComputeTenant tenant, int effectivePercent, Instant leaseUntil) {
    if (effectivePercent < 0 || effectivePercent > 100) {
      throw new IllegalArgumentException("a share is 0..100 percent, was " + effectivePercent);
    }
    MappedByteBuffer file = mapped.get(tenant.key());
    if (file == null) {
      return false;
    }
    INT.setRelease(file, EFFECTIVE, effectivePercent);
    LONG.setRelease(file, LEASE, leaseUntil.toEpochMilli());
    return true;
  }

  private void readPod(Path dir, List<ComputeTenant> tenants, Set<ComputeTenant.Key> seen) {
    Optional<ClaimRecord> claim;
    try {
      claim = ClaimRecord.read(dir);
    } catch (IOException | RuntimeException e) {
      warnOnce(dir.toString(), "cannot read the claim in " + dir + ": " + e);
      return;
    }
    if (claim.isEmpty()) {
      return;
    }
    ClaimRecord record = claim.get();
    for (int ordinal = 0; ordinal < record.gpuUuids().size(); ordinal++) {
      ComputeTenant.Key key = new ComputeTenant.Key(record.podUid(), record.container(), ordinal);
      MappedByteBuffer file = map(key, dir.resolve(fileName(ordinal)));
      if (file == null) {
        continue; // not paced on this GPU, or not yet launched anything
      }
      seen.add(key);
      tenant(dir, record, ordinal, file).ifPresent(tenants::add);
    }
  }

  private MappedByteBuffer map(ComputeTenant.Key key, Path file) {
    MappedByteBuffer known = mapped.get(key);
    if (known != null) {
      return known;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (channel.size() < FILE_SIZE) {
        return null; // being made: the library sizes it before it writes the magic
      }
      MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
      buffer.order(ByteOrder.LITTLE_ENDIAN);
      mapped.put(key, buffer);
      return buffer;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      warnOnce(file.toString(), "cannot map " + file + ": " + e);
      return null;
    }
  }

  private Optional<ComputeTenant> tenant(Path dir, ClaimRecord claim, int ordinal, ByteBuffer file) {
    if ((int) INT.getAcquire(file, 0) != MAGIC) {
      return Optional.empty(); // the library sets the magic last
    }
    int version = (int) INT.getAcquire(file, 4);
    int guaranteed = (int) INT.getAcquire(file, GUARANTEED);
    int effective = (int) INT.getAcquire(file, EFFECTIVE);
    long lease = (long) LONG.getAcquire(file, LEASE);
    long charged = (long) LONG.getAcquire(file, CHARGED);
    long held = (long) LONG.getAcquire(file, HELD);
    if (version != VERSION) {
      warnOnce(dir + "/" + fileName(ordinal), dir.resolve(fileName(ordinal)) + " has compute-file version " + version
          + "; this agent reads version " + VERSION + ". Upgrade the agent");
      return Optional.empty();
    }
    if (guaranteed < 1 || guaranteed > 100 || effective < 0 || effective > 100 || charged < 0 || held < 0) {
      warnOnce(dir + "/" + fileName(ordinal), dir.resolve(fileName(ordinal)) + " holds impossible figures (guaranteed "
          + guaranteed + "%, effective " + effective + "%, charged " + charged + " ns, held " + held + " ns)");
      return Optional.empty();
    }
    String uuid = claim.gpuUuids().get(ordinal);
    return Optional.of(new ComputeTenant(claim, ordinal, uuid, guaranteed, effective, lease, charged, held));
  }

  private void warnOnce(String key, String message) {
    if (warned.add(key)) {
      log.warn("{}; its compute share is left as it is", message);
    }
  }
}
