package dev.tessera.agent.enforce;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@link Processes} through {@code /proc}. The agent runs with {@code hostPID: true}, so it sees
 * every container's processes under their host pids. A slot is matched on what the native library
 * records: its start time ({@code /proc/<pid>/stat} field 22, the same in every namespace, so a
 * reused pid never matches), its pid inside its namespace (the last {@code NSpid} entry of {@code
 * /proc/<pid>/status}), and its pid namespace (the inode of {@code /proc/<pid>/ns/pid}). Reading
 * another user's namespace link needs ptrace rights the agent does not have; where it cannot, the
 * process's cgroup must name the pod's UID instead, as kubelet's cgroup paths do.
 */
public final class ProcFs implements Processes {
  private final Path proc;
  private final long ownPidNamespace;

  public ProcFs(Path proc) {
    this.proc = Objects.requireNonNull(proc, "proc");
    this.ownPidNamespace = pidNamespace(proc.resolve("self")).orElse(-1);
  }

  @Override
  public OptionalLong hostPid(GpuTenant tenant, TenantProcess process) {
    if (process.pidNamespace() != 0 && process.pidNamespace() == ownPidNamespace) {
      // Our own namespace (the host's, with hostPID): the slot's pid is the host pid.
      Path dir = proc.resolve(Integer.toString(process.pid()));
      return matches(dir, tenant, process) ? OptionalLong.of(process.pid()) : OptionalLong.empty();
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc, ProcFs::isPid)) {
      for (Path dir : entries) {
        if (matches(dir, tenant, process)) {
          return OptionalLong.of(Long.parseLong(dir.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  @Override
  public boolean kill(long hostPid) {
    Optional<ProcessHandle> handle = ProcessHandle.of(hostPid);
    // The handle remembers the start time it saw, and destroying it checks it again.
    return handle.isPresent() && handle.get().destroyForcibly();
  }

  private static boolean matches(Path dir, GpuTenant tenant, TenantProcess process) {
    OptionalLong start = startTime(dir);
    if (start.isEmpty() || start.getAsLong() != process.startTime()) {
      return false; // cheapest test first: this is what rules out almost every process
    }
    if (innermostPid(dir).orElse(-1) != process.pid()) {
      return false;
    }
    OptionalLong namespace = pidNamespace(dir);
    if (namespace.isPresent() && process.pidNamespace() != 0) {
      return namespace.getAsLong() == process.pidNamespace();
    }
    return inPodCgroup(dir, tenant.claim().podUid());
  }

  /** kubelet names a pod's cgroup after its UID, with '_' for '-' under the systemd driver. */
  static boolean inPodCgroup(Path dir, String podUid) {
    try {
      String cgroup = Files.readString(dir.resolve("cgroup"));
      return cgroup.contains(podUid) || cgroup.contains(podUid.replace('-', '_'));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Field 22 of {@code stat}, counted after the command name, which may hold spaces and ')'. */
  static OptionalLong startTime(Path dir) {
    try {
      String stat = Files.readString(dir.resolve("stat"));
      int end = stat.lastIndexOf(')');
      if (end < 0) {
        return OptionalLong.empty();
      }
      String[] fields = stat.substring(end + 2).split(" ");
      // fields[0] is field 3 (state), so field 22 is fields[19].
      return fields.length > 19 ? OptionalLong.of(Long.parseLong(fields[19])) : OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty(); // gone, or not ours to read
    }
  }

  /** The inode in the {@code pid:[4026531836]} link of {@code ns/pid}. */
  static OptionalLong pidNamespace(Path dir) {
    try {
      String link = Files.readSymbolicLink(dir.resolve("ns").resolve("pid")).toString();
      int open = link.indexOf('[');
      int close = link.indexOf(']', open + 1);
      return open < 0 || close < 0 ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(link.substring(open + 1, close)));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** The last pid of the {@code NSpid} line: the process's pid in its own namespace. */
  static OptionalLong innermostPid(Path dir) {
    try {
      for (String line : Files.readAllLines(dir.resolve("status"))) {
        if (line.startsWith("NSpid:")) {
          String[] pids = line.substring(6).trim().split("\\s+");
          return OptionalLong.of(Long.parseLong(pids[pids.length - 1]));
        }
      }
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  private static boolean isPid(Path entry) {
    String name = entry.getFileName().toString();
    for (int i = 0; i < name.length(); i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return false;
      }
    }
    return !name.isEmpty();
  }
}
