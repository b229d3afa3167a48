package dev.tessera.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.controller.admission.AdmissionReviewer;
import dev.tessera.controller.admission.AdmissionServer;
import dev.tessera.extender.ha.LeaderLabel;
import dev.tessera.extender.telemetry.ReportConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.RuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manifests in {@code deploy/} against the code: every document parses, and the names, ports,
 * extender configuration and permissions are the ones the extender expects. A manifest that drifts
 * from {@link WellKnown} (or grants more than it should) fails the build here instead of in a
 * cluster.
 */
class DeployManifestsTest {

  /**
   * The extender's own default deadline for a {@code /bind} call (it holds gang members until the
   * gang is ready, but never longer than this). Kept as a literal on purpose: this test checks the
   * deploy manifests, and the manifests must be safe for the default the extender ships with.
   */
  private static final Duration EXTENDER_BIND_DEADLINE = Duration.ofSeconds(8);

  private static final String EXTENDER_SA = "tessera-extender";
  private static final String SCHEDULER_SA = "tessera-scheduler";
  private static final String SCHEDULER_DEPLOYMENT = "tessera-scheduler";
  private static final String SCHEDULER_CONFIGMAP = "tessera-scheduler-config";
  private static final int SCHEDULER_SECURE_PORT = 10259;

  /**
   * Exactly what the extender may do, as (apiGroup, resource, verb) triples. Anything granted beyond this
   * fails {@link #extenderRbacGrantsExactlyTheAllowedSet()}.
   */
  private static final Set<String> EXTENDER_ALLOWED =
      triples(
          List.of(
              rule("", List.of("nodes"), List.of("get", "list", "watch")),
              rule("", List.of("pods"), List.of("get", "list", "watch", "patch")),
              // The workload controller: the pods, Services and Deployments it runs workloads with.
              rule("", List.of("pods", "services"), List.of("get", "list", "watch", "create", "delete")),
              rule("apps", List.of("deployments"), List.of("get", "list", "watch", "create", "delete", "patch")),
              // The workload controller's view of a workload's health: Services' endpoints, claims.
              rule("", List.of("endpoints"), List.of("get", "list", "watch")),
              rule("", List.of("persistentvolumeclaims"), List.of("get")),
              rule("", List.of("pods/binding", "bindings", "pods/eviction"), List.of("create")),
              rule("", List.of("events"), List.of("create", "patch")),
              // The node agents' GPU memory events on pods, copied onto the workloads.
              rule("", List.of("events"), List.of("list", "watch")),
              rule("events.k8s.io", List.of("events"), List.of("create", "patch")),
              // The policy informers, and the Accepted condition on the status subresource only.
              rule(WellKnown.API_GROUP, policyResources(""), List.of("get", "list", "watch")),
              rule(WellKnown.API_GROUP, policyResources("/status"), List.of("update", "patch")),
              // The workload kinds, their status, and the pod group of a distributed training.
              rule(WellKnown.API_GROUP, workloadResources(""), List.of("get", "list", "watch", "update", "patch")),
              rule(WellKnown.API_GROUP, workloadResources("/status"), List.of("update", "patch")),
              rule(WellKnown.API_GROUP, List.of("podgroups"), List.of("create", "delete")),
              // Other controllers' workloads: their ExternalWorkload and PodGroup, the owners read
              // to group their pods, and the label that puts a Project's namespaces under the pod webhook.
              rule(WellKnown.API_GROUP, List.of("externalworkloads"), List.of("create")),
              rule("apps", List.of("replicasets", "deployments", "statefulsets"), List.of("get")),
              rule("batch", List.of("jobs"), List.of("get")),
              rule("jobset.x-k8s.io", List.of("jobsets"), List.of("get")),
              rule("kubeflow.org", List.of("pytorchjobs", "tfjobs", "mpijobs"), List.of("get")),
              rule("ray.io", List.of("rayclusters", "rayjobs"), List.of("get")),
              rule("sparkoperator.k8s.io", List.of("sparkapplications"), List.of("get")),
              rule("", List.of("namespaces"), List.of("get", "list", "watch", "patch")),
              // The workload controller reads the workload policies and says whether each is accepted.
              rule(WellKnown.API_GROUP, List.of("workloadpolicies"), List.of("get", "list", "watch")),
              rule(WellKnown.API_GROUP, List.of("workloadpolicies/status"), List.of("update", "patch")),
              // Leader election among the replicas.
              rule("coordination.k8s.io", List.of("leases"), List.of("get", "create", "update", "patch"))));

  private static final String CONSOLE_SA = "tessera-console";

  /** The ClusterRoles a Project's access list grants, which the console binds in its namespaces. */
  private static final List<String> PROJECT_ROLES =
      List.of("tessera-viewer", "tessera-researcher", "tessera-project-admin");

  /**
   * Exactly what the console may do, as (apiGroup, resource, verb) triples, a rule limited to
   * resource names with "/name". Anything granted beyond this fails {@link
   * #consoleRbacGrantsExactlyTheAllowedSet()}.
   */
  private static final Set<String> CONSOLE_ALLOWED =
      named(
          List.of(
              // Its informers and views.
              rule(WellKnown.API_GROUP, workloadResources(""), List.of("get", "list", "watch")),
              rule("", List.of("pods", "events", "nodes"), List.of("get", "list", "watch")),
              rule("", List.of("pods/log"), List.of("get")),
              rule(WellKnown.API_GROUP, List.of("projects", "departments", "nodepools", "workloadpolicies"),
                  List.of("get", "list", "watch")),
              // Who calls, and what they may do: the API server decides.
              rule("authentication.k8s.io", List.of("tokenreviews"), List.of("create")),
              rule("authorization.k8s.io", List.of("subjectaccessreviews"), List.of("create")),
              // Users' actions, done as the user.
              rule("", List.of("users", "groups", "serviceaccounts"), List.of("impersonate")),
              // The RoleBindings of the Projects' access lists, of the project roles only.
              rule("rbac.authorization.k8s.io", List.of("rolebindings"),
                  List.of("get", "list", "watch", "create", "update", "delete")),
              rule("rbac.authorization.k8s.io", List.of("clusterroles"), List.of("bind"), PROJECT_ROLES)));

  /** Fields of KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) we may use. */
  private static final Set<String> KSC_FIELDS =
      Set.of(
          "apiVersion",
          "kind",
          "parallelism",
          "leaderElection",
          "clientConnection",
          "enableProfiling",
          "enableContentionProfiling",
          "percentageOfNodesToScore",
          "podInitialBackoffSeconds",
          "podMaxBackoffSeconds",
          "profiles",
          "extenders",
          "delayCacheUntilActive");

  private static final Set<String> LEADER_ELECTION_FIELDS =
      Set.of(
          "leaderElect",
          "leaseDuration",
          "renewDeadline",
          "retryPeriod",
          "resourceLock",
          "resourceName",
          "resourceNamespace");

  private static final Set<String> PROFILE_FIELDS =
      Set.of("schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig");

  /** Fields of the v1 Extender type. kube-scheduler decodes strictly: a typo is a crash loop. */
  private static final Set<String> EXTENDER_FIELDS =
      Set.of(
          "urlPrefix",
          "filterVerb",
          "preemptVerb",
          "prioritizeVerb",
          "weight",
          "bindVerb",
          "enableHTTPS",
          "tlsConfig",
          "httpTimeout",
          "nodeCacheCapable",
          "managedResources",
          "ignorable");

  /**
   * The only kinds without a fabric8 model allowed in deploy/: cert-manager's, which
   * 35-admission.yaml needs for the webhook's certificate. Both are namespaced.
   */
  private static final Set<String> CERT_MANAGER_KINDS =
      Set.of("cert-manager.io/v1/Issuer", "cert-manager.io/v1/Certificate");

  private static final Pattern FILE_NAME = Pattern.compile("\\d\\d-[a-z0-9-]+\\.yaml");

  private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One YAML document of one file. */
  record Doc(String where, HasMetadata object) {}

  private static Path deployDir;
  private static final List<Path> files = new ArrayList<>();
  private static final List<Doc> docs = new ArrayList<>();
  private static final List<String> parseErrors = new ArrayList<>();

  @BeforeAll
  static void loadManifests() throws IOException {
    deployDir = findDeployDir();
    try (Stream<Path> list = Files.list(deployDir)) {
      list.filter(p -> p.getFileName().toString().endsWith(".yaml")
              || p.getFileName().toString().endsWith(".yml"))
          .sorted()
          .forEach(files::add);
    }
    KubernetesSerialization k8s = new KubernetesSerialization();
    for (Path file : files) {
      String name = file.getFileName().toString();
      List<JsonNode> nodes = new ArrayList<>();
      try (var parser = YAML.getFactory().createParser(file.toFile())) {
        Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
        while (it.hasNext()) {
          JsonNode node = it.next();
          if (node != null && !node.isNull() && !node.isMissingNode()) {
            nodes.add(node);
          }
        }
      } catch (IOException | RuntimeException e) {
        parseErrors.add(name + ": not valid YAML: " + e.getMessage());
        continue;
      }
      if (nodes.isEmpty()) {
        parseErrors.add(name + ": no YAML documents");
      }
      for (int i = 0; i < nodes.size(); i++) {
        String where = name + " document " + (i + 1);
        JsonNode node = nodes.get(i);
        try {
          Object parsed = k8s.unmarshal(JSON.writeValueAsString(node));
          if (!(parsed instanceof HasMetadata object)) {
            parseErrors.add(where + ": not a Kubernetes object: " + parsed);
            continue;
          }
          if (object instanceof GenericKubernetesResource generic
              && CERT_MANAGER_KINDS.contains(generic.getApiVersion() + "/" + generic.getKind())) {
            docs.add(new Doc(where, object)); // no typed model: checked field by field below
            continue;
          }
          if (object instanceof GenericKubernetesResource) {
            parseErrors.add(
                where + ": unknown apiVersion/kind " + node.path("apiVersion").asText()
                    + "/" + node.path("kind").asText());
            continue;
          }
          if (object.getMetadata() == null || isBlank(object.getMetadata().getName())) {
            parseErrors.add(where + ": no metadata.name");
            continue;
          }
          List<String> unknown = new ArrayList<>();
          collectUnknownFields(object, object.getKind(), unknown);
          if (!unknown.isEmpty()) {
            parseErrors.add(where + " (" + object.getKind() + "): unknown fields " + unknown);
          }
          docs.add(new Doc(where, object));
        } catch (IOException | RuntimeException e) {
          parseErrors.add(where + ": " + e.getMessage());
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Every document parses

  @Test
  void everyDocumentParsesAsATypedKubernetesObject() {
    assertFalse(files.isEmpty(), "no *.yaml files in " + deployDir);
    assertTrue(
        parseErrors.isEmpty(),
        "deploy/ manifests that do not parse cleanly:\n  " + String.join("\n  ", parseErrors));
  }

  @Test
  void filesAreNumberedForApplyOrderAndTheNamespaceComesFirst() {
    for (Path f : files) {
      String name = f.getFileName().toString();
      assertTrue(
          FILE_NAME.matcher(name).matches(),
          "deploy/" + name + " should be named NN-what.yaml (number = apply order)");
    }
    Doc ns =
        docs.stream()
            .filter(d -> d.object() instanceof Namespace)
            .findFirst()
            .orElseThrow(() -> new AssertionError("deploy/ defines no Namespace"));
    assertTrue(
        ns.where().startsWith(files.get(0).getFileName().toString()),
        "the Namespace must be in the first file applied, not in " + ns.where());
  }

  @Test
  void namespaceMatchesWellKnownAndEverythingLivesInIt() {
    List<Namespace> namespaces = all(Namespace.class);
    assertEquals(
        List.of(WellKnown.NAMESPACE),
        namespaces.stream().map(n -> n.getMetadata().getName()).toList(),
        "deploy/ must define exactly the namespace WellKnown.NAMESPACE");

    for (Doc d : docs) {
      if (!(d.object() instanceof Namespaced) && !(d.object() instanceof GenericKubernetesResource)) {
        assertTrue(
            isBlank(d.object().getMetadata().getNamespace()),
            d.where() + ": cluster-scoped " + d.object().getKind() + " must not set a namespace");
        continue;
      }
      String ns = d.object().getMetadata().getNamespace();
      if (d.object() instanceof RoleBinding rb
          && "kube-system".equals(ns)
          && "extension-apiserver-authentication-reader".equals(rb.getRoleRef().getName())) {
        continue; // the one object that must live in kube-system
      }
      assertEquals(
          WellKnown.NAMESPACE,
          ns,
          d.where() + ": " + d.object().getKind() + " " + d.object().getMetadata().getName()
              + " must be in " + WellKnown.NAMESPACE + " (set metadata.namespace)");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The extender: Service, Deployment, RBAC

  @Test
  void extenderServiceMatchesWellKnownAndReachesTheDeployment() {
    Service svc = one(Service.class, WellKnown.NAMESPACE, WellKnown.EXTENDER_SERVICE);
    List<ServicePort> ports = svc.getSpec().getPorts();
    assertEquals(2, ports.size(), "Service " + WellKnown.EXTENDER_SERVICE + " should have http and reports");
    ServicePort port = servicePort(svc, "http");
    ServicePort reports = servicePort(svc, "reports");
    assertEquals(
        ReportConfig.DEFAULT_PORT, reports.getPort(), "agents report to the extender's default report port");
    assertEquals(
        WellKnown.EXTENDER_PORT,
        port.getPort(),
        "Service port must be WellKnown.EXTENDER_PORT: the scheduler config's urlPrefix uses it");

    Deployment extender = one(Deployment.class, WellKnown.NAMESPACE, WellKnown.EXTENDER_SERVICE);
    Map<String, String> podLabels = extender.getSpec().getTemplate().getMetadata().getLabels();
    Map<String, String> selector = new java.util.HashMap<>(svc.getSpec().getSelector());
    assertEquals("true", selector.remove(LeaderLabel.LABEL),
        "the Service reaches only the leader, whose pod carries " + LeaderLabel.LABEL + "=true");
    assertTrue(
        !selector.isEmpty() && podLabels.entrySet().containsAll(selector.entrySet()),
        "Service selector " + selector + " does not select the extender pods " + podLabels);

    Container c = onlyContainer(extender);
    int target = resolvePort(c, port.getTargetPort(), "Service targetPort");
    assertEquals(
        WellKnown.EXTENDER_PORT, target, "Service targetPort must reach the extender's port");
    assertEquals(
        ReportConfig.DEFAULT_PORT,
        resolvePort(c, reports.getTargetPort(), "Service reports targetPort"),
        "Service reports targetPort must reach the extender's report port");
    assertTrue(
        argsOf(c).contains("--report-port=" + ReportConfig.DEFAULT_PORT),
        "extender args must set --report-port=" + ReportConfig.DEFAULT_PORT + ", got " + argsOf(c));
  }

  private static ServicePort servicePort(Service svc, String name) {
    return svc.getSpec().getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("Service " + svc.getMetadata().getName() + " has no port " + name));
  }

  @Test
  void extenderDeploymentServesTheWellKnownPortWithProbes() {
    Deployment d = one(Deployment.class, WellKnown.NAMESPACE, WellKnown.EXTENDER_SERVICE);
    assertEquals(2, d.getSpec().getReplicas(), "a leader and a warm standby");
    assertEquals("RollingUpdate", d.getSpec().getStrategy().getType());
    assertEquals(new IntOrString(0), d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable(),
        "a new standby is ready before an old replica goes");

    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertEquals(EXTENDER_SA, pod.getServiceAccountName(), "extender's serviceAccountName");
    one(ServiceAccount.class, WellKnown.NAMESPACE, EXTENDER_SA);

    Container c = onlyContainer(d);
    assertTrue(argsOf(c).contains("--leader-elect"),
        "two replicas, each with its own ledger, must elect the one that decides; got " + argsOf(c));
    for (String variable : List.of("POD_NAME", "POD_NAMESPACE")) {
      assertTrue(c.getEnv().stream().anyMatch(e -> e.getName().equals(variable) && e.getValueFrom() != null
          && e.getValueFrom().getFieldRef() != null), variable + " from the downward API, for the leader label");
    }
    assertTrue(
        argsOf(c).contains("--port=" + WellKnown.EXTENDER_PORT),
        "extender args must contain --port=" + WellKnown.EXTENDER_PORT + ", got " + argsOf(c));

    ContainerPort http =
        c.getPorts().stream()
            .filter(p -> "http".equals(p.getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("extender container has no port named http"));
    assertEquals(WellKnown.EXTENDER_PORT, http.getContainerPort(), "port http");

    // Ready once synced, standby or leader: readiness that followed leadership would stop every
    // rolling update (the Deployment waits for a new pod to be ready before the leader goes).
    assertHttpProbe(c.getReadinessProbe(), "readinessProbe", "/syncedz", new IntOrString("http"), null);
    assertHttpProbe(c.getLivenessProbe(), "livenessProbe", "/healthz", new IntOrString("http"), null);

    assertNotNull(c.getResources(), "extender container needs resources");
    for (String r : List.of("cpu", "memory")) {
      assertTrue(
          c.getResources().getRequests() != null && c.getResources().getRequests().containsKey(r),
          "extender needs a " + r + " request");
      assertTrue(
          c.getResources().getLimits() != null && c.getResources().getLimits().containsKey(r),
          "extender needs a " + r + " limit");
    }

    boolean nonRoot =
        Boolean.TRUE.equals(pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot())
            || Boolean.TRUE.equals(c.getSecurityContext() == null ? null : c.getSecurityContext().getRunAsNonRoot());
    assertTrue(nonRoot, "extender must set runAsNonRoot: true");
    assertNotNull(c.getSecurityContext(), "extender container needs a securityContext");
    assertEquals(
        Boolean.FALSE,
        c.getSecurityContext().getAllowPrivilegeEscalation(),
        "extender: allowPrivilegeEscalation must be false");

    Map<String, String> ann = d.getSpec().getTemplate().getMetadata().getAnnotations();
    assertNotNull(ann, "extender pod template needs prometheus.io annotations");
    assertEquals("true", ann.get("prometheus.io/scrape"), "prometheus.io/scrape");
    assertEquals(String.valueOf(WellKnown.EXTENDER_PORT), ann.get("prometheus.io/port"), "prometheus.io/port");
    assertEquals("/metrics", ann.get("prometheus.io/path"), "prometheus.io/path");
  }

  @Test
  void extenderRbacGrantsExactlyTheAllowedSet() {
    one(ServiceAccount.class, WellKnown.NAMESPACE, EXTENDER_SA);
    List<String> problems = new ArrayList<>();
    List<PolicyRule> rules = rulesBoundTo(EXTENDER_SA, problems);
    assertFalse(rules.isEmpty(), "no binding grants anything to ServiceAccount " + EXTENDER_SA);
    for (PolicyRule r : rules) {
      if (r.getNonResourceURLs() != null && !r.getNonResourceURLs().isEmpty()) {
        problems.add("extender rule grants nonResourceURLs " + r.getNonResourceURLs());
      }
      if (r.getResourceNames() != null && !r.getResourceNames().isEmpty()) {
        problems.add("extender rule is limited to resourceNames " + r.getResourceNames()
            + "; the extender works on any node/pod");
      }
    }
    Set<String> granted = triples(rules);
    Set<String> extra = new TreeSet<>(granted);
    extra.removeAll(EXTENDER_ALLOWED);
    Set<String> missing = new TreeSet<>(EXTENDER_ALLOWED);
    missing.removeAll(granted);
    if (!extra.isEmpty()) {
      problems.add("granted but not allowed (apiGroup/resource:verb): " + extra);
    }
    if (!missing.isEmpty()) {
      problems.add("needed but not granted (apiGroup/resource:verb): " + missing);
    }
    assertTrue(problems.isEmpty(), "extender RBAC:\n  " + String.join("\n  ", problems));
  }

  @Test
  void consoleRbacGrantsExactlyTheAllowedSet() {
    one(ServiceAccount.class, WellKnown.NAMESPACE, CONSOLE_SA);
    Deployment deployment = one(Deployment.class, WellKnown.NAMESPACE, CONSOLE_SA);
    assertEquals(CONSOLE_SA, deployment.getSpec().getTemplate().getSpec().getServiceAccountName(),
        "the console runs as the account whose grants these are");
    List<String> problems = new ArrayList<>();
    List<PolicyRule> rules = rulesBoundTo(CONSOLE_SA, problems);
    assertFalse(rules.isEmpty(), "no binding grants anything to ServiceAccount " + CONSOLE_SA);
    for (PolicyRule r : rules) {
      if (r.getNonResourceURLs() != null && !r.getNonResourceURLs().isEmpty()) {
        problems.add("console rule grants nonResourceURLs " + r.getNonResourceURLs());
      }
    }
    Set<String> granted = named(rules);
    Set<String> extra = new TreeSet<>(granted);
    extra.removeAll(CONSOLE_ALLOWED);
    Set<String> missing = new TreeSet<>(CONSOLE_ALLOWED);
    missing.removeAll(granted);
    if (!extra.isEmpty()) {
      problems.add("granted but not allowed (apiGroup/resource:verb[/name]): " + extra);
    }
    if (!missing.isEmpty()) {
      problems.add("needed but not granted (apiGroup/resource:verb[/name]): " + missing);
    }
    assertTrue(problems.isEmpty(), "console RBAC:\n  " + String.join("\n  ", problems));
  }

  @Test
  void theUserRolesAreDefinedAndBoundByNoManifest() {
    Set<String> userRoles = new TreeSet<>(PROJECT_ROLES);
    userRoles.add("tessera-cluster-admin");
    Set<String> defined = new TreeSet<>();
    all(ClusterRole.class).forEach(r -> defined.add(r.getMetadata().getName()));
    assertTrue(defined.containsAll(userRoles), "deploy/ should define the ClusterRoles " + userRoles);
    // Who holds them is each cluster's choice: a Project's access list, or an administrator's binding.
    for (Doc d : docs) {
      RoleRef ref = d.object() instanceof ClusterRoleBinding b ? b.getRoleRef()
          : d.object() instanceof RoleBinding b ? b.getRoleRef() : null;
      assertFalse(ref != null && userRoles.contains(ref.getName()),
          d.where() + " grants the user role " + (ref == null ? "" : ref.getName()) + " to someone");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The admission webhook (35-admission.yaml): paths, port, kinds and certificate as the code has them

  @Test
  void mutatingWebhookFillsDefaultsOnCreateAtTheServedPath() {
    MutatingWebhookConfiguration config = named(MutatingWebhookConfiguration.class, "tessera-workload-policies");
    assertEquals(1, config.getWebhooks().size(), "one mutating webhook");
    MutatingWebhook hook = config.getWebhooks().get(0);
    assertWebhook(
        config, hook.getClientConfig(), hook.getRules(), hook.getFailurePolicy(), hook.getSideEffects(),
        hook.getAdmissionReviewVersions(), AdmissionReviewer.Endpoint.MUTATE, List.of("CREATE"));
  }

  @Test
  void validatingWebhookChecksCreateAndUpdateAtTheServedPath() {
    ValidatingWebhookConfiguration config = onlyOf(ValidatingWebhookConfiguration.class);
    assertEquals(1, config.getWebhooks().size(), "one validating webhook");
    ValidatingWebhook hook = config.getWebhooks().get(0);
    assertWebhook(
        config, hook.getClientConfig(), hook.getRules(), hook.getFailurePolicy(), hook.getSideEffects(),
        hook.getAdmissionReviewVersions(), AdmissionReviewer.Endpoint.VALIDATE, List.of("CREATE", "UPDATE"));
  }

  @Test
  void extenderMountsTheWebhookCertificateItIsToldToRead() {
    Deployment d = one(Deployment.class, WellKnown.NAMESPACE, WellKnown.EXTENDER_SERVICE);
    Container c = onlyContainer(d);
    List<String> args = argsOf(c);
    assertTrue(
        args.contains("--admission-port=" + AdmissionServer.DEFAULT_PORT),
        "extender args must set --admission-port=" + AdmissionServer.DEFAULT_PORT + ", got " + args);
    GenericKubernetesResource cert = certificate();
    String secret = String.valueOf(specOf(cert).get("secretName"));
    Volume volume =
        d.getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getSecret() != null && secret.equals(v.getSecret().getSecretName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the extender mounts no volume of secret " + secret));
    VolumeMount mount =
        c.getVolumeMounts().stream()
            .filter(m -> m.getName().equals(volume.getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("volume " + volume.getName() + " is not mounted"));
    String dir = Paths.get(mount.getMountPath()).normalize().toString();
    assertTrue(args.contains("--admission-cert=" + dir + "/tls.crt"), "--admission-cert in " + dir + ": " + args);
    assertTrue(args.contains("--admission-key=" + dir + "/tls.key"), "--admission-key in " + dir + ": " + args);

    @SuppressWarnings("unchecked")
    Map<String, Object> key = (Map<String, Object>) specOf(cert).get("privateKey");
    assertEquals("PKCS8", key == null ? null : key.get("encoding"), "the extender reads PKCS#8 keys only");
  }

  private void assertWebhook(
      HasMetadata config,
      WebhookClientConfig client,
      List<RuleWithOperations> rules,
      String failurePolicy,
      String sideEffects,
      List<String> reviewVersions,
      AdmissionReviewer.Endpoint endpoint,
      List<String> operations) {
    String where = config.getKind() + " " + config.getMetadata().getName();
    assertEquals("Fail", failurePolicy, where + ": failurePolicy");
    assertEquals("None", sideEffects, where + ": sideEffects");
    assertEquals(List.of("v1"), reviewVersions, where + ": the reviewer speaks admission.k8s.io/v1 only");
    assertEquals(1, rules.size(), where + ": one rule");
    RuleWithOperations rule = rules.get(0);
    assertEquals(List.of(WellKnown.API_GROUP), rule.getApiGroups(), where + ": apiGroups");
    assertEquals(
        CrdManifestsTest.WORKLOAD_KINDS.stream().map(HasMetadata::getVersion).distinct().toList(),
        rule.getApiVersions(),
        where + ": apiVersions");
    assertEquals(CrdManifestsTest.MANAGED_WORKLOAD_KINDS.stream().map(HasMetadata::getPlural).toList(),
        rule.getResources(), where + ": exactly the four workload kinds the policies govern");
    assertEquals(operations, rule.getOperations(), where + ": operations");

    assertEquals(endpoint.path(), client.getService().getPath(), where + ": path");
    Service svc = one(Service.class, client.getService().getNamespace(), client.getService().getName());
    int port = client.getService().getPort() == null ? 443 : client.getService().getPort();
    ServicePort servicePort =
        svc.getSpec().getPorts().stream()
            .filter(p -> p.getPort() == port)
            .findFirst()
            .orElseThrow(() -> new AssertionError(where + " calls port " + port + ", which the Service lacks"));
    Deployment extender = one(Deployment.class, WellKnown.NAMESPACE, WellKnown.EXTENDER_SERVICE);
    Map<String, String> podLabels = extender.getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(
        podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet()),
        "Service " + svc.getMetadata().getName() + " does not select the extender pods");
    assertEquals(
        AdmissionServer.DEFAULT_PORT,
        resolvePort(onlyContainer(extender), servicePort.getTargetPort(), "admission targetPort"),
        where + ": the Service must reach the extender's --admission-port");

    GenericKubernetesResource cert = certificate();
    assertEquals(
        cert.getMetadata().getNamespace() + "/" + cert.getMetadata().getName(),
        config.getMetadata().getAnnotations().get("cert-manager.io/inject-ca-from"),
        where + ": cert-manager must inject the CA of the webhook's Certificate");
    @SuppressWarnings("unchecked")
    List<String> dnsNames = (List<String>) specOf(cert).get("dnsNames");
    String host = svc.getMetadata().getName() + "." + svc.getMetadata().getNamespace() + ".svc";
    assertTrue(dnsNames != null && dnsNames.contains(host), "the Certificate must name " + host + ": " + dnsNames);
  }

  private static GenericKubernetesResource certificate() {
    List<GenericKubernetesResource> certs =
        all(GenericKubernetesResource.class).stream().filter(g -> "Certificate".equals(g.getKind())).toList();
    assertEquals(1, certs.size(), "deploy/ should define one cert-manager Certificate (the webhook's)");
    return certs.get(0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> specOf(GenericKubernetesResource g) {
    Object spec = g.getAdditionalProperties().get("spec");
    assertTrue(spec instanceof Map, g.getKind() + " " + g.getMetadata().getName() + " has no spec");
    return (Map<String, Object>) spec;
  }

  @Test
  void podWebhookSeesOnlyPodsCreatedInProjectNamespacesThatDidNotOptOut() {
    assertEquals(List.of("tessera-pods", "tessera-workload-policies"),
        all(MutatingWebhookConfiguration.class).stream().map(c -> c.getMetadata().getName()).sorted().toList(),
        "the MutatingWebhookConfigurations");
    MutatingWebhookConfiguration config = named(MutatingWebhookConfiguration.class, "tessera-pods");
    assertEquals(1, config.getWebhooks().size(), "one pod webhook");
    MutatingWebhook hook = config.getWebhooks().get(0);
    String where = "MutatingWebhookConfiguration tessera-pods";
    assertEquals("Fail", hook.getFailurePolicy(), where + ": a pod Tessera did not see would escape its quota");
    assertEquals("None", hook.getSideEffects(), where + ": sideEffects");
    assertEquals(List.of("v1"), hook.getAdmissionReviewVersions(), where + ": admissionReviewVersions");
    assertEquals(1, hook.getRules().size(), where + ": one rule");
    RuleWithOperations rule = hook.getRules().get(0);
    assertEquals(List.of(""), rule.getApiGroups(), where + ": the core group");
    assertEquals(List.of("v1"), rule.getApiVersions(), where + ": apiVersions");
    assertEquals(List.of("pods"), rule.getResources(), where + ": pods only");
    assertEquals(List.of("CREATE"), rule.getOperations(), where + ": operations");
    assertEquals(AdmissionReviewer.Endpoint.MUTATE.path(), hook.getClientConfig().getService().getPath(),
        where + ": the path the reviewer serves pods on");
    assertEquals(named(MutatingWebhookConfiguration.class, "tessera-workload-policies").getWebhooks().get(0)
        .getClientConfig().getService(), hook.getClientConfig().getService(), where + ": the same Service");
    Map<String, String> namespaces = new java.util.TreeMap<>();
    hook.getNamespaceSelector().getMatchExpressions().forEach(e -> namespaces.put(e.getKey(),
        e.getOperator() + (e.getValues() == null || e.getValues().isEmpty() ? "" : " " + e.getValues())));
    assertEquals(Map.of(dev.tessera.controller.external.ProjectNamespaces.LABEL, "Exists",
        WellKnown.SCHEDULING_LABEL, "NotIn [" + WellKnown.SCHEDULING_DISABLED + "]"), namespaces,
        where + ": the namespaces the extender labels for their Project, less those opted out");
    var objects = hook.getObjectSelector().getMatchExpressions();
    assertEquals(1, objects.size(), where + ": one objectSelector expression");
    assertEquals(List.of(WellKnown.SCHEDULING_LABEL, "NotIn", List.of(WellKnown.SCHEDULING_DISABLED)),
        List.of(objects.get(0).getKey(), objects.get(0).getOperator(), objects.get(0).getValues()),
        where + ": pods opted out");
    GenericKubernetesResource cert = certificate();
    assertEquals(cert.getMetadata().getNamespace() + "/" + cert.getMetadata().getName(),
        config.getMetadata().getAnnotations().get("cert-manager.io/inject-ca-from"), where + ": its CA from cert-manager");
  }

  private static <T extends HasMetadata> T named(Class<T> type, String name) {
    return all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).findFirst()
        .orElseThrow(() -> new AssertionError("deploy/ defines no " + type.getSimpleName() + " " + name));
  }

  private static <T extends HasMetadata> T onlyOf(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), "deploy/ should define one " + type.getSimpleName());
    return found.get(0);
  }

  // ---------------------------------------------------------------------------------------------
  // The scheduler configuration and the scheduler

  @Test
  void schedulerConfigurationCallsTheExtenderTheWayItExpects() throws IOException {
    JsonNode cfg = schedulerConfiguration();
    assertEquals("kubescheduler.config.k8s.io/v1", cfg.path("apiVersion").asText(), "apiVersion");
    assertEquals("KubeSchedulerConfiguration", cfg.path("kind").asText(), "kind");
    assertKnownFields(cfg, KSC_FIELDS, "KubeSchedulerConfiguration");

    JsonNode profiles = cfg.path("profiles");
    assertTrue(profiles.isArray() && profiles.size() == 1, "exactly one profile, got " + profiles);
    assertKnownFields(profiles.get(0), PROFILE_FIELDS, "profiles[0]");
    assertEquals(
        WellKnown.SCHEDULER_NAME,
        profiles.get(0).path("schedulerName").asText(),
        "profile schedulerName must be WellKnown.SCHEDULER_NAME: pods opt in with it");

    JsonNode le = cfg.path("leaderElection");
    assertTrue(le.isObject(), "leaderElection must be configured");
    assertKnownFields(le, LEADER_ELECTION_FIELDS, "leaderElection");
    assertEquals(
        WellKnown.SCHEDULER_NAME,
        le.path("resourceName").asText(),
        "leaderElection.resourceName: its own lease, never the default scheduler's");

    JsonNode extenders = cfg.path("extenders");
    assertTrue(extenders.isArray() && extenders.size() == 1, "exactly one extender, got " + extenders);
    JsonNode ext = extenders.get(0);
    assertKnownFields(ext, EXTENDER_FIELDS, "extenders[0]");

    String url =
        "http://" + WellKnown.EXTENDER_SERVICE + "." + WellKnown.NAMESPACE + ".svc:"
            + WellKnown.EXTENDER_PORT;
    assertEquals(url, ext.path("urlPrefix").asText(), "extender urlPrefix");
    assertEquals("filter", ext.path("filterVerb").asText(), "filterVerb (POST /filter)");
    assertEquals("prioritize", ext.path("prioritizeVerb").asText(), "prioritizeVerb (POST /prioritize)");
    assertEquals("bind", ext.path("bindVerb").asText(), "bindVerb (POST /bind)");
    assertEquals("preempt", ext.path("preemptVerb").asText(), "preemptVerb (POST /preempt)");
    assertTrue(ext.path("weight").isIntegralNumber() && ext.path("weight").asInt() > 0,
        "weight must be a positive integer (kube-scheduler rejects 0 with a prioritizeVerb)");
    assertFalse(ext.path("enableHTTPS").asBoolean(false), "the extender serves plain HTTP: enableHTTPS false");
    assertTrue(
        ext.path("nodeCacheCapable").isBoolean() && ext.path("nodeCacheCapable").asBoolean(),
        "nodeCacheCapable must be true: the extender answers from its informer cache");
    assertTrue(
        ext.path("ignorable").isBoolean() && !ext.path("ignorable").asBoolean(),
        "ignorable must be false: without the extender, GPU pods would be placed unaccounted");
    assertFalse(
        ext.has("managedResources"),
        "managedResources must be absent: fractional pods ask by annotation only and would never"
            + " be sent to the extender (shared/wire/README.md)");

    JsonNode timeout = ext.path("httpTimeout");
    assertTrue(timeout.isTextual(), "httpTimeout must be set as a Go duration string, got " + timeout);
    Duration httpTimeout = parseGoDuration(timeout.asText());
    // kube-scheduler's default is 5s. The extender's /bind may wait for the rest of a gang up to
    // its own bind deadline (8s by default); if kube-scheduler's client gives up first, it
    // reports a failed bind for a pod the extender is still binding (or has bound), and retries
    // it. So the manifest's timeout must be strictly longer than the extender's deadline.
    assertTrue(
        httpTimeout.compareTo(EXTENDER_BIND_DEADLINE) > 0,
        "httpTimeout " + timeout.asText() + " must be longer than the extender's bind deadline "
            + EXTENDER_BIND_DEADLINE.toSeconds() + "s");
  }

  @Test
  void schedulerDeploymentMountsTheConfigMapKeyNamedByConfig() {
    Deployment d = one(Deployment.class, WellKnown.NAMESPACE, SCHEDULER_DEPLOYMENT);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertEquals(SCHEDULER_SA, pod.getServiceAccountName(), "scheduler's serviceAccountName");
    one(ServiceAccount.class, WellKnown.NAMESPACE, SCHEDULER_SA);

    Container c = onlyContainer(d);
    assertTrue(
        c.getImage() != null && c.getImage().startsWith("registry.k8s.io/kube-scheduler:"),
        "tessera-scheduler runs the stock kube-scheduler image, got " + c.getImage());

    Path configPath = Paths.get(configArg(c));
    String dir = configPath.getParent().toString();
    String key = configPath.getFileName().toString();

    VolumeMount mount =
        c.getVolumeMounts().stream()
            .filter(m -> Paths.get(m.getMountPath()).normalize().toString().equals(dir))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no volume is mounted at " + dir + " (--config=" + configPath + ")"));
    Volume volume =
        pod.getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("volumeMount " + mount.getName() + " has no volume"));
    assertNotNull(volume.getConfigMap(), "volume " + volume.getName() + " must be a configMap volume");
    assertEquals(
        SCHEDULER_CONFIGMAP, volume.getConfigMap().getName(), "configMap volume must be " + SCHEDULER_CONFIGMAP);

    ConfigMap cm = one(ConfigMap.class, WellKnown.NAMESPACE, SCHEDULER_CONFIGMAP);
    String dataKey = key;
    if (volume.getConfigMap().getItems() != null && !volume.getConfigMap().getItems().isEmpty()) {
      dataKey =
          volume.getConfigMap().getItems().stream()
              .filter(i -> i.getPath().equals(key))
              .map(i -> i.getKey())
              .findFirst()
              .orElseThrow(() -> new AssertionError("configMap items map no key to " + key));
    }
    assertTrue(
        cm.getData() != null && cm.getData().containsKey(dataKey),
        "--config=" + configPath + " reads key '" + dataKey + "' but ConfigMap " + SCHEDULER_CONFIGMAP
            + " has keys " + (cm.getData() == null ? "[]" : cm.getData().keySet()));

    IntOrString secure = new IntOrString(SCHEDULER_SECURE_PORT);
    assertHttpProbe(c.getLivenessProbe(), "scheduler livenessProbe", "/healthz", secure, "HTTPS");
    assertHttpProbe(c.getReadinessProbe(), "scheduler readinessProbe", "/healthz", secure, "HTTPS");
  }

  @Test
  void schedulerHasTheBuiltInSchedulerRolesAndItsOwnLease() throws IOException {
    one(ServiceAccount.class, WellKnown.NAMESPACE, SCHEDULER_SA);
    Set<String> clusterRoles = new TreeSet<>();
    Map<String, String> roleBindings = new LinkedHashMap<>(); // role name -> binding namespace
    List<PolicyRule> leaseRules = new ArrayList<>();

    JsonNode le = schedulerConfiguration().path("leaderElection");
    String leaseNs = le.path("resourceNamespace").asText("kube-system");
    String leaseName = le.path("resourceName").asText();

    for (Doc d : docs) {
      if (d.object() instanceof ClusterRoleBinding b
          && bindsServiceAccount(b.getSubjects(), WellKnown.NAMESPACE, SCHEDULER_SA)) {
        clusterRoles.add(b.getRoleRef().getName());
        List<PolicyRule> r = rulesOf(b.getRoleRef(), null);
        if (r != null) {
          leaseRules.addAll(r);
        }
      } else if (d.object() instanceof RoleBinding b
          && bindsServiceAccount(b.getSubjects(), WellKnown.NAMESPACE, SCHEDULER_SA)) {
        roleBindings.put(b.getRoleRef().getName(), b.getMetadata().getNamespace());
        if (leaseNs.equals(b.getMetadata().getNamespace())) {
          List<PolicyRule> r = rulesOf(b.getRoleRef(), b.getMetadata().getNamespace());
          if (r != null) {
            leaseRules.addAll(r);
          }
        }
      }
    }
    assertTrue(clusterRoles.contains("system:kube-scheduler"), "bind " + SCHEDULER_SA + " to system:kube-scheduler");
    assertTrue(clusterRoles.contains("system:volume-scheduler"), "bind " + SCHEDULER_SA + " to system:volume-scheduler");
    assertEquals(
        "kube-system",
        roleBindings.get("extension-apiserver-authentication-reader"),
        "RoleBinding in kube-system to extension-apiserver-authentication-reader");

    for (String verb : List.of("get", "update", "create")) {
      boolean ok =
          leaseRules.stream()
              .anyMatch(
                  r -> r.getApiGroups().contains("coordination.k8s.io")
                      && r.getResources().contains("leases")
                      && r.getVerbs().contains(verb)
                      && (r.getResourceNames() == null
                          || r.getResourceNames().isEmpty()
                          || (!verb.equals("create") && r.getResourceNames().contains(leaseName))));
      assertTrue(ok, "no rule lets " + SCHEDULER_SA + " " + verb + " lease " + leaseNs + "/" + leaseName);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The checker's own parts

  @Test
  void goDurationParserAgreesWithGo() {
    assertEquals(Duration.ofSeconds(15), parseGoDuration("15s"));
    assertEquals(Duration.ofSeconds(90), parseGoDuration("1m30s"));
    assertEquals(Duration.ofMillis(1500), parseGoDuration("1.5s"));
    assertEquals(Duration.ofMillis(500), parseGoDuration("500ms"));
    assertEquals(Duration.ofNanos(2_000), parseGoDuration("2us"));
    assertEquals(Duration.ofNanos(2_000), parseGoDuration("2µs"));
    assertEquals(Duration.ofHours(2).plusMinutes(45), parseGoDuration("2h45m"));
    assertEquals(Duration.ZERO, parseGoDuration("0"));
    assertThrows(IllegalArgumentException.class, () -> parseGoDuration("15"));
    assertThrows(IllegalArgumentException.class, () -> parseGoDuration("15 s"));
    assertThrows(IllegalArgumentException.class, () -> parseGoDuration(""));
    assertThrows(IllegalArgumentException.class, () -> parseGoDuration("1d"));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Walks up from the working directory to the repository root: the dir with deploy/ and pom.xml. */
  private static Path findDeployDir() {
    Path start = Paths.get(System.getProperty("user.dir")).toAbsolutePath().normalize();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir.resolve("deploy");
      }
    }
    throw new AssertionError("no directory containing deploy/ and pom.xml above " + start);
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  private static <T extends HasMetadata> List<T> all(Class<T> type) {
    return docs.stream().map(Doc::object).filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(Class<T> type, String namespace, String name) {
    List<T> found =
        all(type).stream()
            .filter(o -> name.equals(o.getMetadata().getName()))
            .filter(o -> namespace == null || namespace.equals(o.getMetadata().getNamespace()))
            .toList();
    if (found.size() != 1) {
      fail(
          "deploy/ should define exactly one " + type.getSimpleName() + " "
              + (namespace == null ? "" : namespace + "/") + name + ", found " + found.size()
              + (parseErrors.isEmpty() ? "" : " (and some documents did not parse: " + parseErrors + ")"));
    }
    return found.get(0);
  }

  private static Container onlyContainer(Deployment d) {
    List<Container> cs = d.getSpec().getTemplate().getSpec().getContainers();
    assertEquals(1, cs.size(), "Deployment " + d.getMetadata().getName() + " should run one container");
    return cs.get(0);
  }

  private static List<String> argsOf(Container c) {
    List<String> all = new ArrayList<>();
    if (c.getCommand() != null) {
      all.addAll(c.getCommand());
    }
    if (c.getArgs() != null) {
      all.addAll(c.getArgs());
    }
    return all;
  }

  private static String configArg(Container c) {
    List<String> args = argsOf(c);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.startsWith("--config=")) {
        return a.substring("--config=".length());
      }
      if (a.equals("--config") && i + 1 < args.size()) {
        return args.get(i + 1);
      }
    }
    throw new AssertionError("kube-scheduler container has no --config argument: " + args);
  }

  private static int resolvePort(Container c, IntOrString port, String what) {
    assertNotNull(port, what + " is not set");
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return c.getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError(what + " names port '" + port.getStrVal() + "', which the container does not define"));
  }

  private static void assertHttpProbe(Probe probe, String what, String path, IntOrString port, String scheme) {
    assertNotNull(probe, what + " is missing");
    HTTPGetAction get = probe.getHttpGet();
    assertNotNull(get, what + " must be an httpGet probe");
    assertEquals(path, get.getPath(), what + " path");
    assertEquals(port, get.getPort(), what + " port");
    if (scheme != null) {
      assertEquals(scheme, get.getScheme(), what + " scheme");
    } else {
      assertTrue(get.getScheme() == null || get.getScheme().equals("HTTP"), what + " scheme must be HTTP");
    }
  }

  private static boolean bindsServiceAccount(List<Subject> subjects, String namespace, String name) {
    return subjects != null
        && subjects.stream()
            .anyMatch(
                s -> "ServiceAccount".equals(s.getKind())
                    && name.equals(s.getName())
                    && namespace.equals(s.getNamespace()));
  }

  /** The rules of a role defined in deploy/, or null if the role is not defined there. */
  private static List<PolicyRule> rulesOf(RoleRef ref, String bindingNamespace) {
    if ("ClusterRole".equals(ref.getKind())) {
      return all(ClusterRole.class).stream()
          .filter(r -> r.getMetadata().getName().equals(ref.getName()))
          .findFirst()
          .map(r -> r.getRules() == null ? List.<PolicyRule>of() : r.getRules())
          .orElse(null);
    }
    if ("Role".equals(ref.getKind())) {
      return all(Role.class).stream()
          .filter(r -> r.getMetadata().getName().equals(ref.getName()))
          .filter(r -> Objects.equals(r.getMetadata().getNamespace(), bindingNamespace))
          .findFirst()
          .map(r -> r.getRules() == null ? List.<PolicyRule>of() : r.getRules())
          .orElse(null);
    }
    return null;
  }

  /** The plurals of the custom resource classes the extender watches, each with the suffix. */
  private static List<String> policyResources(String suffix) {
    return CrdManifestsTest.KINDS.stream().map(k -> HasMetadata.getPlural(k) + suffix).toList();
  }

  private static List<String> workloadResources(String suffix) {
    return CrdManifestsTest.WORKLOAD_KINDS.stream().map(k -> HasMetadata.getPlural(k) + suffix).toList();
  }

  /** The rules of every role bound to a ServiceAccount of tessera-system; what cannot be checked goes to problems. */
  private static List<PolicyRule> rulesBoundTo(String serviceAccount, List<String> problems) {
    List<PolicyRule> rules = new ArrayList<>();
    for (Doc d : docs) {
      RoleRef ref;
      List<Subject> subjects;
      String bindingNs = null;
      if (d.object() instanceof ClusterRoleBinding b) {
        ref = b.getRoleRef();
        subjects = b.getSubjects();
      } else if (d.object() instanceof RoleBinding b) {
        ref = b.getRoleRef();
        subjects = b.getSubjects();
        bindingNs = b.getMetadata().getNamespace();
      } else {
        continue;
      }
      if (!bindsServiceAccount(subjects, WellKnown.NAMESPACE, serviceAccount)) {
        continue;
      }
      List<PolicyRule> roleRules = rulesOf(ref, bindingNs);
      if (roleRules == null) {
        problems.add(d.where() + " binds " + serviceAccount + " to " + ref.getKind() + " " + ref.getName()
            + ", which is not defined in deploy/, so its grants cannot be checked");
        continue;
      }
      rules.addAll(roleRules);
    }
    return rules;
  }

  private static PolicyRule rule(String group, List<String> resources, List<String> verbs, List<String> names) {
    PolicyRule r = rule(group, resources, verbs);
    r.setResourceNames(names);
    return r;
  }

  /** Like {@link #triples}, with "/name" for each resource name a rule is limited to. */
  private static Set<String> named(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule r : rules) {
      List<String> names = nonNull(r.getResourceNames());
      for (String triple : triples(List.of(r))) {
        if (names.isEmpty()) {
          out.add(triple);
        } else {
          names.forEach(name -> out.add(triple + "/" + name));
        }
      }
    }
    return out;
  }

  private static PolicyRule rule(String group, List<String> resources, List<String> verbs) {
    PolicyRule r = new PolicyRule();
    r.setApiGroups(List.of(group));
    r.setResources(resources);
    r.setVerbs(verbs);
    return r;
  }

  /** Expands rules into "apiGroup/resource:verb" strings (core group: "core"); "*" stays "*" and never matches. */
  private static Set<String> triples(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule r : rules) {
      for (String g : nonNull(r.getApiGroups())) {
        for (String res : nonNull(r.getResources())) {
          for (String v : nonNull(r.getVerbs())) {
            out.add((g.isEmpty() ? "core" : g) + "/" + res + ":" + v);
          }
        }
      }
    }
    return out;
  }

  private static List<String> nonNull(List<String> l) {
    return l == null ? List.of() : l;
  }

  private static JsonNode schedulerConfiguration() throws IOException {
    ConfigMap cm = one(ConfigMap.class, WellKnown.NAMESPACE, SCHEDULER_CONFIGMAP);
    assertNotNull(cm.getData(), SCHEDULER_CONFIGMAP + " has no data");
    assertEquals(1, cm.getData().size(), SCHEDULER_CONFIGMAP + " should hold one file, has " + cm.getData().keySet());
    String text = cm.getData().values().iterator().next();
    JsonNode cfg = YAML.readTree(text);
    assertTrue(cfg != null && cfg.isObject(), SCHEDULER_CONFIGMAP + ": the configuration is not a YAML mapping");
    return cfg;
  }

  private static void assertKnownFields(JsonNode node, Set<String> known, String what) {
    assertTrue(node.isObject(), what + " must be a mapping");
    List<String> unknown = new ArrayList<>();
    node.fieldNames().forEachRemaining(f -> {
      if (!known.contains(f)) {
        unknown.add(f);
      }
    });
    assertTrue(
        unknown.isEmpty(),
        what + ": unknown fields " + unknown + " (kube-scheduler decodes strictly and would not start)");
  }

  /**
   * Fields the fabric8 model did not recognise end up in {@code additionalProperties}; a typo such
   * as {@code readinesProbe} would otherwise parse silently and be dropped by the API server.
   */
  private static void collectUnknownFields(Object o, String path, List<String> out) {
    if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean) {
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> collectUnknownFields(v, path + "." + k, out));
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        collectUnknownFields(e, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    try {
      Method m = o.getClass().getMethod("getAdditionalProperties");
      Object extra = m.invoke(o);
      if (extra instanceof Map<?, ?> map && !map.isEmpty()) {
        out.add(path + ": " + map.keySet());
      }
    } catch (NoSuchMethodException e) {
      // not a generated model class
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    for (Class<?> k = o.getClass(); k != null && k != Object.class; k = k.getSuperclass()) {
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("additionalProperties")) {
          continue;
        }
        try {
          f.setAccessible(true);
          collectUnknownFields(f.get(o), path + "." + f.getName(), out);
        } catch (ReflectiveOperationException | RuntimeException e) {
          // inaccessible field: nothing a manifest could put there
        }
      }
    }
  }

  private static final Pattern GO_DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");

  /** Parses a Go {@code time.Duration} string ("15s", "1m30s", "1.5s", "500ms"), as metav1.Duration does. */
  static Duration parseGoDuration(String s) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    String rest = s;
    boolean negative = false;
    if (rest.startsWith("-") || rest.startsWith("+")) {
      negative = rest.startsWith("-");
      rest = rest.substring(1);
    }
    if (rest.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = GO_DURATION_PART.matcher(rest);
    BigDecimal nanos = BigDecimal.ZERO;
    int pos = 0;
    while (pos < rest.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException("not a Go duration: \"" + s + "\"");
      }
      long unit =
          switch (m.group(2)) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException(m.group(2));
          };
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
      pos = m.end();
    }
    Duration d = Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
    return negative ? d.negated() : d;
  }
}
