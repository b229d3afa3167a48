package dev.tessera.agent.deviceplugin;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The file {@value #FILE_NAME} in a pod's usage directory: the pod, its GPU container, and the
 * GPU UUID of each CUDA ordinal the container sees (the order of {@code NVIDIA_VISIBLE_DEVICES}).
 * Written at {@code Allocate}, read by the agent's usage reader. A properties file: small, and
 * readable by an operator looking at the node.
 */
public record ClaimRecord(String namespace, String pod, String podUid, String container, List<String> gpuUuids) {
  public static final String FILE_NAME = "claim.properties";

  public ClaimRecord {
    gpuUuids = List.copyOf(gpuUuids);
  }

  static void write(Path dir, PodClaim claim) throws IOException {
    Properties properties = new Properties();
    properties.setProperty("namespace", claim.pod().namespace());
    properties.setProperty("pod", claim.pod().name());
    properties.setProperty("podUid", claim.pod().uid());
    properties.setProperty("container", claim.container());
    for (int ordinal = 0; ordinal < claim.gpus().size(); ordinal++) {
      properties.setProperty("gpu." + ordinal, claim.gpus().get(ordinal).uuid());
    }
    // Written aside and moved, so a reader never sees half a file.
    Path partial = dir.resolve(FILE_NAME + ".partial");
    try (Writer out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
      properties.store(out, "written by the tessera node agent at Allocate");
    }
    Files.move(partial, dir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The record in {@code dir}, or empty when there is none or it is incomplete. */
  public static Optional<ClaimRecord> read(Path dir) throws IOException {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(dir.resolve(FILE_NAME), StandardCharsets.UTF_8)) {
      properties.load(in);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    List<String> uuids = new ArrayList<>();
    for (int ordinal = 0; properties.getProperty("gpu." + ordinal) != null; ordinal++) {
      uuids.add(properties.getProperty("gpu." + ordinal));
    }
    String namespace = properties.getProperty("namespace");
    String pod = properties.getProperty("pod");
    String uid = properties.getProperty("podUid");
    if (namespace == null || pod == null || uid == null || uuids.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new ClaimRecord(namespace, pod, uid, properties.getProperty("container", ""), uuids));
  }
}
