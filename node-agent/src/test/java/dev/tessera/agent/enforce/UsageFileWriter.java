package dev.tessera.agent.enforce;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes usage files byte for byte as {@code native/src/tessera_usage.h} lays them out, and the
 * pod directory's claim record beside them: the files a container's native library leaves.
 */
final class UsageFileWriter {
  private final Path podDir;
  private final int ordinal;
  private long limit;
  private long request;
  private long used;
  private long wanted;
  private final List<TenantProcess> processes = new ArrayList<>();

  private UsageFileWriter(Path podDir, int ordinal) {
    this.podDir = podDir;
    this.ordinal = ordinal;
  }

  /** A pod directory {@code root/uid} whose claim names {@code gpus} in ordinal order. */
  static Path pod(Path root, String namespace, String pod, String uid, String... gpus) throws IOException {
    Path dir = Files.createDirectories(root.resolve(uid));
    StringBuilder claim = new StringBuilder(
        "namespace=" + namespace + "\npod=" + pod + "\npodUid=" + uid + "\ncontainer=main\n");
    for (int i = 0; i < gpus.length; i++) {
      claim.append("gpu.").append(i).append('=').append(gpus[i]).append('\n');
    }
    Files.writeString(dir.resolve("claim.properties"), claim);
    return dir;
  }

  static UsageFileWriter gpu(Path podDir, int ordinal) {
    return new UsageFileWriter(podDir, ordinal);
  }

  UsageFileWriter limits(long requestBytes, long limitBytes) {
    this.request = requestBytes;
    this.limit = limitBytes;
    return this;
  }

  UsageFileWriter wanted(long bytes) {
    this.wanted = bytes;
    return this;
  }

  /** A process holding {@code bytes}; the total grows by them. */
  UsageFileWriter process(int pid, long bytes, long startTime, long oomCount) {
    processes.add(new TenantProcess(pid, bytes, startTime, 4026531836L, oomCount));
    used += bytes;
    return this;
  }

  /** A process whose allocation of {@code wantedBytes} waits for a loan; the header says so too. */
  UsageFileWriter waiter(int pid, long bytes, long startTime, long wantedBytes) {
    processes.add(new TenantProcess(pid, bytes, startTime, 4026531836L, 0, wantedBytes));
    used += bytes;
    wanted += wantedBytes;
    return this;
  }

  void write() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(UsageFiles.FILE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, UsageFiles.MAGIC).putInt(4, 1).putInt(8, 64).putInt(12, 64).putInt(16, 256).putInt(20, ordinal);
    b.putLong(24, limit).putLong(32, used).putLong(48, request).putLong(56, wanted);
    for (int i = 0; i < processes.size(); i++) {
      TenantProcess p = processes.get(i);
      int at = 64 + 64 * i;
      b.putInt(at, p.pid()).putLong(at + 8, p.usedBytes()).putLong(at + 16, p.usedBytes())
          .putLong(at + 24, p.startTime()).putLong(at + 32, p.pidNamespace()).putLong(at + 40, p.oomCount())
          .putLong(at + 48, p.wantedBytes());
    }
    Files.write(podDir.resolve("gpu-" + ordinal + ".usage"), b.array());
  }
}
