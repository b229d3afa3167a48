package dev.tessera.console.access;

import dev.tessera.api.policy.ProjectResource;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps, in each namespace of each Project, one RoleBinding per role its access list grants
 * ({@code spec.access}): named after the ClusterRole it binds ({@code tessera-researcher}), binding
 * it to the users and groups listed for that role, and labelled {@value #MANAGED_BY_LABEL}={@value
 * #MANAGED_BY} and {@value #COMPONENT_LABEL}={@value #COMPONENT}. Bindings so labelled that no
 * access list asks for any more are deleted; every other RoleBinding is left alone, including one
 * of the same name that someone else made (the role is then not granted there, and that is logged).
 *
 * <p>Level-triggered: any change to a Project or to a binding it manages (one edited or deleted by
 * hand is restored) starts a pass that compares every wanted binding with what exists, on one
 * thread, passes coalescing. A pass that could not finish (the API server refused a write, a
 * namespace does not exist yet) is tried again after a delay. Each problem is logged once while it
 * lasts; each change it makes is logged at INFO.
 *
 * <p>Runs as the console's account: list/watch on projects and rolebindings, create/update/delete on
 * rolebindings and {@code bind} on the three project roles (deploy/75-console-rbac.yaml).
 */
public final class ProjectAccessController implements AutoCloseable {
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "tessera";
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String COMPONENT = "project-access";
  /** The project whose access list asked for the binding (an annotation: names may outgrow a label). */
  public static final String PROJECT_ANNOTATION = "tessera.dev/project";

  /** How long after a pass that could not finish the next one starts. */
  public static final Duration DEFAULT_RETRY = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(ProjectAccessController.class);
  private static final String RBAC = "rbac.authorization.k8s.io";

  private final KubernetesClient client;
  private final Duration retry;
  private final ProblemLog problems = new ProblemLog(log::warn);
  private final AtomicBoolean queued = new AtomicBoolean();
  private final AtomicBoolean retryQueued = new AtomicBoolean();

  private ScheduledExecutorService executor;
  private SharedIndexInformer<ProjectResource> projects;
  private SharedIndexInformer<RoleBinding> bindings;
  /** Set once both informers hold a full list: a pass before that would delete what it has not seen yet. */
  private volatile boolean synced;

  /**
   * @param client a client of the API server, as the console's account
   */
  public ProjectAccessController(KubernetesClient client) {
    this(client, DEFAULT_RETRY);
  }

  /**
   * @param retry how long after a pass that could not finish the next one starts
   */
  public ProjectAccessController(KubernetesClient client, Duration retry) {
    this.client = Objects.requireNonNull(client, "client");
    this.retry = Objects.requireNonNull(retry, "retry");
  }

  /**
   * Lists the Projects and the bindings it manages, watches them, and makes the first pass in the
   * background. Returns once both lists are in.
   *
   * @throws KubernetesClientException when they cannot be listed (the API server is down, the
   *     console's account may not list them)
   * @throws IllegalStateException when started before
   */
  public synchronized void start() {
    if (executor != null) {
      throw new IllegalStateException("the project access controller was started before");
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("project-access", true));
    try {
      bindings =
          client.rbac().roleBindings().inAnyNamespace()
              .withLabel(MANAGED_BY_LABEL, MANAGED_BY)
              .withLabel(COMPONENT_LABEL, COMPONENT)
              .inform(new AnyChange<>());
      projects = client.resources(ProjectResource.class).inform(new AnyChange<>());
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    synced = true;
    log.info("project access: watching projects and the RoleBindings their access lists ask for");
    requestPass();
  }

  /** Stops watching and the pass thread; the bindings stay as they are. */
  @Override
  public synchronized void close() {
    synced = false;
    if (projects != null) {
      projects.close();
    }
    if (bindings != null) {
      bindings.close();
    }
    if (executor != null) {
      executor.shutdownNow();
      try {
        executor.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Any event from either informer: compare everything again. */
  private final class AnyChange<T> implements ResourceEventHandler<T> {
    @Override
    public void onAdd(T object) {
      requestPass();
    }

    @Override
    public void onUpdate(T before, T after) {
      requestPass();
    }

    @Override
    public void onDelete(T object, boolean finalStateUnknown) {
      requestPass();
    }
  }

  private void requestPass() {
    if (synced && queued.compareAndSet(false, true)) {
      submit(() -> {
        queued.set(false);
        pass();
      });
    }
  }

  private void retryLater() {
    if (retryQueued.compareAndSet(false, true)) {
      try {
        var unused = executor.schedule(() -> {
          retryQueued.set(false);
          requestPass();
        }, retry.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        retryQueued.set(false); // closed meanwhile
      }
    }
  }

  private void submit(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException closed) {
      queued.set(false); // closed meanwhile: nothing more to do
    }
  }

  /** One pass: every wanted binding made as wanted, every managed one not wanted deleted. */
  private void pass() {
    Set<String> found = new LinkedHashSet<>();
    boolean finished = true;
    try {
      AccessPlan.Plan plan = AccessPlan.of(projects.getStore().list());
      found.addAll(plan.problems());
      Map<String, RoleBinding> existing = new HashMap<>();
      for (RoleBinding binding : bindings.getStore().list()) {
        existing.put(Cache.metaNamespaceKeyFunc(binding), binding);
      }
      for (AccessPlan.Binding wanted : plan.bindings().values()) {
        finished &= attempt(() -> make(wanted, existing.remove(wanted.key()), found), found,
            "project " + wanted.project() + ": cannot bind " + wanted.clusterRole() + " in namespace "
                + wanted.namespace());
      }
      for (RoleBinding unwanted : existing.values()) {
        finished &= attempt(() -> remove(unwanted), found,
            "cannot remove RoleBinding " + Cache.metaNamespaceKeyFunc(unwanted));
      }
    } catch (RuntimeException e) {
      found.add("project access: a pass failed: " + e);
      finished = false;
    }
    if (!synced) {
      return; // closed during the pass: what failed was cut short, not refused
    }
    problems.pass(found);
    if (!finished) {
      retryLater();
    }
  }

  /**
   * Runs one write; a refusal is a problem of this pass and makes it unfinished. A conflict is no
   * problem: the object changed since the informer saw it, and its event brings another pass.
   */
  private static boolean attempt(Write write, Set<String> found, String what) {
    try {
      return write.run();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      found.add(what + ": " + ApiErrors.describe(e));
      return false;
    }
  }

  @FunctionalInterface
  private interface Write {
    /** @return whether it is done (false: try again in a later pass) */
    boolean run();
  }

  private boolean make(AccessPlan.Binding wanted, RoleBinding current, Set<String> found) {
    RoleBinding desired = desired(wanted);
    var resource = client.rbac().roleBindings().inNamespace(wanted.namespace());
    if (current == null) {
      try {
        resource.resource(desired).create();
        log.info("project {}: RoleBinding {} grants {} to {}", wanted.project(), wanted.key(), wanted.clusterRole(),
            wanted.subjects());
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        current = resource.withName(wanted.name()).get();
        if (current == null) {
          return false; // deleted meanwhile: the next pass makes it
        }
        if (!managed(current)) {
          found.add("project " + wanted.project() + ": RoleBinding " + wanted.key()
              + " exists and is not Tessera's, so " + wanted.clusterRole() + " is not granted there to "
              + wanted.subjects() + "; rename or delete it");
          return false; // tried again later: it may be deleted, and nothing else would tell us
        }
      }
    }
    if (same(current, desired)) {
      return true;
    }
    if (!desired.getRoleRef().getName().equals(current.getRoleRef().getName())) {
      // A binding's roleRef cannot change: make it again.
      resource.withName(wanted.name()).delete();
      resource.resource(desired).create();
    } else {
      RoleBinding updated =
          new RoleBindingBuilder(current)
              .editMetadata()
              .addToLabels(desired.getMetadata().getLabels())
              .addToAnnotations(desired.getMetadata().getAnnotations())
              .endMetadata()
              .withSubjects(desired.getSubjects())
              .build();
      resource.resource(updated).update();
    }
    log.info("project {}: RoleBinding {} now grants {} to {}", wanted.project(), wanted.key(), wanted.clusterRole(),
        wanted.subjects());
    return true;
  }

  private boolean remove(RoleBinding unwanted) {
    String key = Cache.metaNamespaceKeyFunc(unwanted);
    client.rbac().roleBindings().inNamespace(unwanted.getMetadata().getNamespace())
        .withName(unwanted.getMetadata().getName()).delete();
    String project = unwanted.getMetadata().getAnnotations() == null ? null
        : unwanted.getMetadata().getAnnotations().get(PROJECT_ANNOTATION);
    log.info("project {}: RoleBinding {} removed: no access list asks for it any more", project, key);
    return true;
  }

  private static RoleBinding desired(AccessPlan.Binding wanted) {
    List<Subject> subjects = new ArrayList<>();
    wanted.users().forEach(user -> subjects.add(subject("User", user)));
    wanted.groups().forEach(group -> subjects.add(subject("Group", group)));
    return new RoleBindingBuilder()
        .withNewMetadata()
        .withNamespace(wanted.namespace())
        .withName(wanted.name())
        .addToLabels(MANAGED_BY_LABEL, MANAGED_BY)
        .addToLabels(COMPONENT_LABEL, COMPONENT)
        .addToLabels("app.kubernetes.io/part-of", "tessera")
        .addToAnnotations(PROJECT_ANNOTATION, wanted.project())
        .endMetadata()
        .withNewRoleRef(RBAC, "ClusterRole", wanted.clusterRole())
        .withSubjects(subjects)
        .build();
  }

  private static Subject subject(String kind, String name) {
    return new SubjectBuilder().withApiGroup(RBAC).withKind(kind).withName(name).build();
  }

  private static boolean managed(RoleBinding binding) {
    Map<String, String> labels = binding.getMetadata().getLabels();
    return labels != null && MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL))
        && COMPONENT.equals(labels.get(COMPONENT_LABEL));
  }

  /** Whether a binding already is as wanted: its role, subjects, labels and project. */
  private static boolean same(RoleBinding current, RoleBinding desired) {
    Map<String, String> labels = current.getMetadata().getLabels() == null ? Map.of()
        : current.getMetadata().getLabels();
    Map<String, String> annotations = current.getMetadata().getAnnotations() == null ? Map.of()
        : current.getMetadata().getAnnotations();
    return current.getRoleRef() != null
        && desired.getRoleRef().getName().equals(current.getRoleRef().getName())
        && "ClusterRole".equals(current.getRoleRef().getKind())
        && subjects(current).equals(subjects(desired))
        && labels.entrySet().containsAll(desired.getMetadata().getLabels().entrySet())
        && annotations.entrySet().containsAll(desired.getMetadata().getAnnotations().entrySet());
  }

  /** Subjects as kind/name in order: the API server may fill in fields (apiGroup) we left out. */
  private static List<String> subjects(RoleBinding binding) {
    return binding.getSubjects() == null ? List.of()
        : binding.getSubjects().stream().map(s -> s.getKind() + "/" + s.getName()).toList();
  }
}
