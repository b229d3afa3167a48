package dev.tessera.controller.external;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.extender.informers.InformerSync;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Labels each Project's namespaces {@value #LABEL}: the project's name, and takes the label off a
 * namespace no Project lists any more. The pod webhook's namespaceSelector matches the label, so
 * pods of a project's namespaces go through it (and a webhook outage blocks pod creation there
 * only, never in the rest of the cluster). One thread compares the Projects with the namespaces
 * and patches the difference whenever either changes.
 */
public final class ProjectNamespaces implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProjectNamespaces.class);
  public static final String LABEL = "tessera.dev/project";

  private final KubernetesClient client;
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tessera-project-namespaces", true));
  private SharedIndexInformer<ProjectResource> projects;
  private SharedIndexInformer<Namespace> namespaces;
  private volatile boolean queued;

  public ProjectNamespaces(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  public void start(Duration syncTimeout) {
    ResourceEventHandler<Object> changed = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Object object) {
        queue(0);
      }

      @Override
      public void onUpdate(Object before, Object after) {
        queue(0);
      }

      @Override
      public void onDelete(Object object, boolean unknownFinalState) {
        queue(0);
      }
    };
    projects = client.resources(ProjectResource.class).runnableInformer(0);
    projects.addEventHandler(cast(changed));
    namespaces = client.namespaces().runnableInformer(0);
    namespaces.addEventHandler(cast(changed));
    InformerSync.startAll("the Project and Namespace informers",
        Map.of("projects", projects, "namespaces", namespaces), syncTimeout,
        "check that the Project CRD (deploy/05-crds.yaml) is installed",
        "check the extender's RBAC for projects and namespaces (deploy/10-extender-rbac.yaml)");
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) handler;
  }

  private void queue(long delayMillis) {
    if (queued) {
      return;
    }
    queued = true;
    worker.schedule(() -> {
      queued = false;
      try {
        sync();
      } catch (KubernetesClientException e) {
        log.warn("could not label the Projects' namespaces {} (HTTP {}: {}); trying again in 5 s", LABEL,
            e.getCode(), e.getMessage());
        queue(5_000);
      }
    }, delayMillis, TimeUnit.MILLISECONDS);
  }

  private void sync() {
    Map<String, String> wanted = new HashMap<>();
    for (ProjectResource project : projects.getStore().list()) {
      if (project.getSpec() == null || project.getSpec().namespaces() == null) {
        continue;
      }
      for (String namespace : project.getSpec().namespaces()) {
        wanted.putIfAbsent(namespace, project.getMetadata().getName());
      }
    }
    for (Namespace namespace : namespaces.getStore().list()) {
      String name = namespace.getMetadata().getName();
      Map<String, String> labels = namespace.getMetadata().getLabels() == null ? Map.of()
          : namespace.getMetadata().getLabels();
      String want = wanted.get(name);
      String has = labels.get(LABEL);
      if (Objects.equals(want, has)) {
        continue;
      }
      String value = want == null ? "null" : "\"" + want + "\"";
      client.namespaces().withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
          "{\"metadata\":{\"labels\":{\"" + LABEL + "\":" + value + "}}}");
      log.info(want == null ? "namespace {} is in no Project any more: its pods are no longer Tessera's to group"
          : "namespace {} belongs to Project {}: its pods go through Tessera's pod webhook", name, want);
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
    if (projects != null) {
      projects.close();
    }
    if (namespaces != null) {
      namespaces.close();
    }
  }
}
