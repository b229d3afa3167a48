package dev.tessera.e2e;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Kubernetes control plane for the end-to-end tests, one per test JVM: etcd,
 * kube-apiserver and kube-controller-manager started by the scripts in {@code $TESSERA_E2E_K8S}
 * (the layout of the repository's shared {@code k8s/} folder: {@code up.sh}, {@code down.sh},
 * {@code scheduler.sh}, {@code fakelet.py}), with {@code deploy/}'s namespace, CRDs and RBAC
 * applied as written. The extender and kube-scheduler run as their own ServiceAccounts.
 */
final class ControlPlane {
  static final String ENV = "TESSERA_E2E_K8S";
  private static final String NAMESPACE = "tessera-system";
  /** deploy/ files a cluster without kubelets can take: no Deployments, no cert-manager objects. */
  private static final List<String> MANIFESTS = List.of(
      "00-namespace.yaml", "05-crds.yaml", "06-workload-crds.yaml", "07-workload-policy-crd.yaml",
      "10-extender-rbac.yaml", "30-scheduler-rbac.yaml", "75-console-rbac.yaml", "76-user-roles.yaml");

  private static ControlPlane shared;

  final Path scripts;
  final Path deploy;
  final Path work;
  final int portBase;
  private final Map<String, String> env;
  private final Path adminKubeconfig;
  private final KubernetesClient admin;

  private ControlPlane(Path scripts, Path deploy, Path work, int portBase) {
    this.scripts = scripts;
    this.deploy = deploy;
    this.work = work;
    this.portBase = portBase;
    this.env = Map.of(
        "PORT_BASE", Integer.toString(portBase),
        "STATE_DIR", work.resolve("cluster").toString(),
        "KUBE_ASSETS_CACHE", System.getenv().getOrDefault(
            "KUBE_ASSETS_CACHE", Path.of(System.getProperty("user.home"), ".cache/tessera-k8s/v1.28.0").toString()));
    this.adminKubeconfig = Path.of(
        Exec.run(List.of(scripts.resolve("up.sh").toString()), env, Duration.ofMinutes(3)).lines()
            .reduce((first, last) -> last).orElseThrow());
    this.admin = client(adminKubeconfig);
  }

  /**
   * The control plane of this JVM, started on first use; skips the calling test when {@value ENV}
   * does not name the scripts' directory.
   */
  static synchronized ControlPlane shared() {
    String dir = System.getenv(ENV);
    Assumptions.assumeTrue(dir != null && !dir.isBlank(),
        ENV + " is not set: the end-to-end tests need a real control plane. Point it at a directory"
            + " with up.sh, down.sh, scheduler.sh and fakelet.py (.ci/run uses ../shared/k8s)");
    if (shared == null) {
      Path scripts = Path.of(dir).toAbsolutePath().normalize();
      Assumptions.assumeTrue(Files.isExecutable(scripts.resolve("up.sh")),
          ENV + "=" + dir + " has no executable up.sh");
      Path work = Path.of(System.getProperty("tessera.e2e.work", "target/e2e")).toAbsolutePath();
      Path deploy = Path.of(System.getProperty("tessera.deploy.dir", "../deploy")).toAbsolutePath();
      int portBase = Integer.parseInt(System.getenv().getOrDefault("TESSERA_E2E_PORT_BASE", "17000"));
      ControlPlane plane = new ControlPlane(scripts, deploy, work, portBase);
      Runtime.getRuntime().addShutdownHook(new Thread(plane::stop, "control-plane-stop"));
      plane.install();
      shared = plane;
    }
    return shared;
  }

  KubernetesClient admin() {
    return admin;
  }

  Map<String, String> env() {
    return env;
  }

  Path stateDir() {
    return work.resolve("cluster");
  }

  String apiServer() {
    return admin.getConfiguration().getMasterUrl();
  }

  /** The admin's bearer token (up.sh's token file), for reading kube-scheduler's metrics. */
  String adminToken() {
    return admin.getConfiguration().getOauthToken();
  }

  /** Where the control plane's binaries are: the directory {@code assets.sh} prints. */
  Path assets() {
    return Path.of(Exec.run(List.of(scripts.resolve("assets.sh").toString()), env, Duration.ofMinutes(3)));
  }

  /** Applies deploy/'s namespace, CRDs and RBAC, and waits until the CRDs are served. */
  private void install() {
    for (String file : MANIFESTS) {
      try (InputStream in = Files.newInputStream(deploy.resolve(file))) {
        admin.load(in).resources().forEach(r -> r.fieldManager("tessera-e2e").forceConflicts().serverSideApply());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + deploy.resolve(file), e);
      }
    }
    for (String crd : List.of("projects", "podgroups", "nodepools", "departments", "workloadpolicies",
        "externalworkloads")) {
      admin.apiextensions().v1().customResourceDefinitions().withName(crd + ".tessera.dev")
          .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
              .anyMatch(cond -> "Established".equals(cond.getType()) && "True".equals(cond.getStatus())),
              60, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /**
   * A kubeconfig for one of deploy/'s ServiceAccounts in tessera-system, with a token from the
   * TokenRequest API: what the component would get mounted in its pod.
   */
  Path kubeconfigFor(String serviceAccount) {
    TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(86_400L).endSpec().build();
    String token = admin.serviceAccounts().inNamespace(NAMESPACE).withName(serviceAccount)
        .tokenRequest(request).getStatus().getToken();
    Path file = work.resolve(serviceAccount + ".kubeconfig");
    String yaml = String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: e2e",
        "  cluster: {server: \"" + apiServer() + "\", certificate-authority: \"" + stateDir().resolve("pki/ca.crt") + "\"}",
        "users:",
        "- name: " + serviceAccount,
        "  user: {token: \"" + token + "\"}",
        "contexts:",
        "- name: e2e",
        "  context: {cluster: e2e, user: " + serviceAccount + "}",
        "current-context: e2e",
        "");
    try {
      Files.createDirectories(work);
      Files.writeString(file, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /**
   * deploy/40-scheduler-config.yaml's KubeSchedulerConfiguration as shipped, but calling the
   * extender at {@code extenderUrl} and connecting with {@code kubeconfig}: the scheduler under test
   * runs the profile users get.
   */
  @SuppressWarnings("unchecked")
  Path schedulerConfig(String extenderUrl, Path kubeconfig) {
    ConfigMap map;
    try (InputStream in = Files.newInputStream(deploy.resolve("40-scheduler-config.yaml"))) {
      map = Serialization.unmarshal(in, ConfigMap.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Object> config = Serialization.unmarshal(map.getData().get("config.yaml"), Map.class);
    List<Map<String, Object>> extenders = (List<Map<String, Object>>) config.get("extenders");
    extenders.get(0).put("urlPrefix", extenderUrl);
    Map<String, Object> connection = (Map<String, Object>) config.computeIfAbsent("clientConnection", k -> new java.util.LinkedHashMap<>());
    connection.put("kubeconfig", kubeconfig.toString());
    String percentage = System.getProperty("tessera.e2e.percentageOfNodesToScore");
    if (percentage != null) { // how many feasible nodes kube-scheduler looks for, and sends the extender
      config.put("percentageOfNodesToScore", Integer.parseInt(percentage));
    }
    String qps = System.getProperty("tessera.e2e.schedulerQps");
    if (qps != null) { // benchmarks lift kube-scheduler's client rate limit (default 50/s, burst 100)
      connection.put("qps", Integer.parseInt(qps));
      connection.put("burst", 2 * Integer.parseInt(qps));
    }
    Path file = work.resolve("scheduler-config.yaml");
    try {
      Files.writeString(file, Serialization.asYaml(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /**
   * Removes what tests create (workloads and what they own, pods, pod groups, projects, pools,
   * nodes) and waits until gone.
   */
  void reset() {
    // A pod webhook left registered (a killed test JVM) would refuse the next tests' pods.
    admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(PodWebhook.NAME).delete();
    admin.namespaces().withName(Workloads.NAMESPACE).edit(n -> {
      if (n.getMetadata().getLabels() != null) {
        n.getMetadata().getLabels().remove(dev.tessera.controller.external.ProjectNamespaces.LABEL);
      }
      return n;
    });
    for (var crd : admin.apiextensions().v1().customResourceDefinitions().withLabel(Workloads.TEST_LABEL).list()
        .getItems()) {
      String group = crd.getSpec().getGroup();
      String version = crd.getSpec().getVersions().get(0).getName();
      admin.genericKubernetesResources(group + "/" + version, crd.getSpec().getNames().getKind()).inAnyNamespace()
          .delete();
    }
    for (String kind : List.of("Workspace", "Training", "DistributedTraining", "Inference", "ExternalWorkload")) {
      var workloads = admin.genericKubernetesResources("tessera.dev/v1alpha1", kind).inNamespace(Workloads.NAMESPACE);
      for (var workload : workloads.list().getItems()) {
        // No controller runs between tests to take its finalizer off.
        try {
          workloads.withName(workload.getMetadata().getName()).edit(w -> {
            w.getMetadata().setFinalizers(List.of());
            return w;
          });
        } catch (RuntimeException gone) {
          // deleted meanwhile
        }
      }
      workloads.delete();
    }
    admin.apps().deployments().inNamespace(Workloads.NAMESPACE).delete();
    admin.services().inNamespace(Workloads.NAMESPACE).delete();
    admin.pods().inNamespace(Workloads.NAMESPACE).withGracePeriod(0).delete();
    admin.pods().inAnyNamespace().withLabel(Workloads.TEST_LABEL).withGracePeriod(0).delete();
    for (String kind : List.of("podgroups", "projects", "nodepools", "departments")) {
      var resources = admin.genericKubernetesResources("tessera.dev/v1alpha1",
          kind.equals("podgroups") ? "PodGroup" : kind.equals("projects") ? "Project"
              : kind.equals("nodepools") ? "NodePool" : "Department");
      if (kind.equals("podgroups")) {
        resources.inAnyNamespace().delete();
      } else {
        resources.delete();
      }
    }
    admin.nodes().withLabel(Workloads.TEST_LABEL).delete();
    // A killed extender's Lease would keep the next one waiting for it to expire.
    admin.resources(io.fabric8.kubernetes.api.model.coordination.v1.Lease.class).inNamespace("tessera-system")
        .withName("tessera-extender").delete();
    Await.until("the previous test's pods and nodes to be gone", Duration.ofSeconds(60), () ->
        admin.pods().inAnyNamespace().withLabel(Workloads.TEST_LABEL).list().getItems().isEmpty()
            && admin.pods().inNamespace(Workloads.NAMESPACE).list().getItems().isEmpty()
            && admin.nodes().withLabel(Workloads.TEST_LABEL).list().getItems().isEmpty());
  }

  /** Applies one object as the admin would with kubectl apply. */
  HasMetadata apply(HasMetadata object) {
    return admin.resource(object).fieldManager("tessera-e2e").forceConflicts().serverSideApply();
  }

  private void stop() {
    try {
      admin.close();
    } catch (RuntimeException ignored) {
      // going down anyway
    }
    Map<String, String> wipe = new java.util.HashMap<>(env);
    wipe.put("WIPE", "1");
    try {
      Exec.run(List.of(scripts.resolve("down.sh").toString()), wipe, Duration.ofMinutes(1));
    } catch (RuntimeException e) {
      System.err.println("could not stop the control plane: " + e.getMessage());
    }
  }

  static KubernetesClient client(Path kubeconfig) {
    try {
      Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
      config.setRequestTimeout(30_000);
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> args(String... args) {
    return new ArrayList<>(List.of(args));
  }
}
