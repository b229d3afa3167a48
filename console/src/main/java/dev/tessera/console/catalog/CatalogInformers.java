package dev.tessera.console.catalog;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.workloads.DistributedTrainingResource;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.InferenceResource;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadResource;
import dev.tessera.api.workloads.WorkspaceResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The informers that feed the catalog, the projects' directory and the event history: the four
 * workload kinds Tessera runs and the external workloads other controllers run, the pods labelled
 * with a workload (both sorts: the external-workload controller labels its pods the same way),
 * projects, node pools, workload policies, and events.
 * Their handlers only hand objects over; the catalog's and the directory's threads do the work.
 */
public final class CatalogInformers implements AutoCloseable {
  private final KubernetesClient client;
  private final WorkloadCatalog catalog;
  private final ProjectDirectory projects;
  private final EventRecorder events;
  private final Duration resync;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

  public CatalogInformers(KubernetesClient client, WorkloadCatalog catalog, ProjectDirectory projects,
      EventRecorder events, Duration resync) {
    this.client = client;
    this.catalog = catalog;
    this.projects = projects;
    this.events = events;
    this.resync = resync;
  }

  /** Starts every informer and returns once each has listed what exists. */
  public void start(Duration timeout) throws Exception {
    // Projects first: rows computed before their project is known would change again at once.
    // One watch feeds both owners of projects.
    informers.add(client.resources(ProjectResource.class).inform(
        handler(project -> {
          catalog.projectChanged(project);
          projects.projectChanged(project);
        }, project -> {
          catalog.projectDeleted(project);
          projects.projectDeleted(project);
        }), resync.toMillis()));
    informers.add(client.resources(NodePoolResource.class).inform(
        handler(projects::nodePoolChanged, projects::nodePoolDeleted), resync.toMillis()));
    informers.add(client.resources(WorkloadPolicyResource.class).inform(
        handler(projects::policyChanged, projects::policyDeleted), resync.toMillis()));
    waitForSync(timeout);
    workloads(WorkspaceResource.class);
    workloads(TrainingResource.class);
    workloads(DistributedTrainingResource.class);
    workloads(InferenceResource.class);
    workloads(ExternalWorkloadResource.class);
    informers.add(client.pods().inAnyNamespace().withLabel(WellKnown.WORKLOAD_LABEL).inform(
        handler(catalog::podChanged, catalog::podDeleted), resync.toMillis()));
    informers.add(client.v1().events().inAnyNamespace().inform(
        handler(events::eventChanged, event -> {}), 0));
    waitForSync(timeout);
  }

  private <T extends WorkloadResource<?>> void workloads(Class<T> kind) {
    informers.add(client.resources(kind).inAnyNamespace().inform(
        handler(catalog::workloadChanged, catalog::workloadDeleted), resync.toMillis()));
  }

  private void waitForSync(Duration timeout) throws Exception {
    CompletableFuture<?>[] synced = informers.stream().map(SharedIndexInformer::start)
        .toArray(CompletableFuture[]::new);
    CompletableFuture.allOf(synced).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static <T> ResourceEventHandler<T> handler(Consumer<T> changed, Consumer<T> deleted) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        changed.accept(object);
      }

      @Override
      public void onUpdate(T before, T after) {
        changed.accept(after);
      }

      @Override
      public void onDelete(T object, boolean finalStateUnknown) {
        deleted.accept(object);
      }
    };
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
