package dev.tessera.extender.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ProjectFigures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each project's figures per pool (deserved, fair share, allocated, pending GPUs) to its
 * {@code status.pools}, so {@code kubectl get projects -o yaml} shows what the scheduler sees. A
 * JSON merge patch of {@code status.pools} alone leaves the {@code Accepted} condition to its
 * owner. Figures are rounded to hundredths and a project is written only when they changed, and at
 * most once per {@code minInterval}: figures move with every bind, the API server need not.
 *
 * <p>Call {@link #update} with every new snapshot and periodically (a change held back by the
 * interval is written by a later call). One thread.
 */
public final class ProjectStatusWriter {
  private static final Logger log = LoggerFactory.getLogger(ProjectStatusWriter.class);

  private record Written(List<List<Object>> figures, Instant at) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration minInterval;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, Written> written = new HashMap<>();

  public ProjectStatusWriter(KubernetesClient client, Clock clock, Duration minInterval) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.minInterval = Objects.requireNonNull(minInterval, "minInterval");
  }

  /** Writes the projects whose figures changed since their last write; returns how many. */
  public int update(PolicySnapshot snapshot) {
    Instant now = clock.instant();
    written.keySet().retainAll(snapshot.allFigures().keySet());
    int writes = 0;
    for (Map.Entry<String, Map<String, ProjectFigures>> project : snapshot.allFigures().entrySet()) {
      List<List<Object>> figures = rounded(project.getValue());
      Written last = written.get(project.getKey());
      if (last != null && (last.figures().equals(figures) || now.isBefore(last.at().plus(minInterval)))) {
        continue;
      }
      if (write(project.getKey(), figures)) {
        written.put(project.getKey(), new Written(figures, now));
        writes++;
      }
    }
    return writes;
  }

  private static List<List<Object>> rounded(Map<String, ProjectFigures> byPool) {
    List<List<Object>> rows = new ArrayList<>();
    byPool.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      ProjectFigures f = e.getValue();
      rows.add(List.of(e.getKey(), round(f.deserved()), round(f.fairShare()), round(f.allocated()), round(f.pending())));
    });
    return rows;
  }

  private static double round(double gpus) {
    return Math.round(gpus * 100) / 100.0;
  }

  private boolean write(String project, List<List<Object>> figures) {
    ObjectNode patch = json.createObjectNode();
    ArrayNode pools = patch.putObject("status").putArray("pools");
    for (List<Object> row : figures) {
      ObjectNode pool = pools.addObject();
      pool.put("nodePool", (String) row.get(0));
      pool.put("deservedGpus", (Double) row.get(1));
      pool.put("fairShareGpus", (Double) row.get(2));
      pool.put("allocatedGpus", (Double) row.get(3));
      pool.put("pendingGpus", (Double) row.get(4));
    }
    try {
      client.resources(ProjectResource.class)
          .withName(project)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
      return true;
    } catch (KubernetesClientException e) {
      log.warn("could not write the figures of project {} to its status (HTTP {}): {}; retrying on the next change",
          project, e.getCode(), e.getMessage());
      return false;
    }
  }
}
