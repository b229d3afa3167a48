package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.agent.deviceplugin.DevicePluginConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node agent's manifests in {@code deploy/} against the agent's code: they parse as typed
 * Kubernetes objects, and the DaemonSet uses the port, directories, resource name, node name and
 * JVM flags the agent expects, with exactly the permissions it needs. The extender's manifests
 * have their own test in the extender module; this one follows the same conventions.
 */
class DeployManifestsTest {
  private static final String NAMESPACE = "tessera-system";
  private static final String NAME = "tessera-node-agent";
  private static final String EXTENDER_HOST = "tessera-extender." + NAMESPACE + ".svc";
  private static final Set<String> ALLOWED = Set.of("core/pods:get", "core/pods:list", "core/pods:watch", "core/pods:patch", "core/events:create");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();

  private static Path repo;
  private static final List<HasMetadata> objects = new ArrayList<>();
  private static final List<String> problems = new ArrayList<>();

  @BeforeAll
  static void load() throws IOException {
    repo = findRepo();
    KubernetesSerialization k8s = new KubernetesSerialization();
    List<Path> files;
    try (Stream<Path> list = Files.list(repo.resolve("deploy"))) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path file : files) {
      try (var parser = YAML.getFactory().createParser(file.toFile())) {
        Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
        int n = 0;
        while (it.hasNext()) {
          JsonNode node = it.next();
          n++;
          if (node == null || node.isNull() || node.isMissingNode()) {
            continue;
          }
          String where = file.getFileName() + " document " + n;
          if (node.path("apiVersion").asText().startsWith("cert-manager.io/")) {
            continue; // cert-manager's Issuer and Certificate: fabric8 has no model for them
          }
          Object parsed = k8s.unmarshal(JSON.writeValueAsString(node));
          if (!(parsed instanceof HasMetadata o) || parsed instanceof GenericKubernetesResource) {
            problems.add(where + ": not a known Kubernetes kind: " + node.path("kind").asText());
            continue;
          }
          List<String> unknown = new ArrayList<>();
          collectUnknownFields(o, o.getKind(), unknown);
          if (!unknown.isEmpty()) {
            problems.add(where + ": unknown fields " + unknown);
          }
          objects.add(o);
        }
      } catch (IOException | RuntimeException e) {
        problems.add(file.getFileName() + ": " + e.getMessage());
      }
    }
  }

  @Test
  void everyDocumentParsesWithoutUnknownFields() {
    assertTrue(problems.isEmpty(), "deploy/ manifests that do not parse cleanly:\n  " + String.join("\n  ", problems));
  }

  @Test
  void daemonSetRunsOnGpuNodesUnderItsOwnServiceAccount() {
    DaemonSet ds = one(DaemonSet.class, NAME);
    assertEquals(NAMESPACE, ds.getMetadata().getNamespace());
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertEquals(Map.of("nvidia.com/gpu.present", "true"), pod.getNodeSelector(), "GPU nodes only");
    assertEquals(NAME, pod.getServiceAccountName());
    assertEquals(NAMESPACE, one(ServiceAccount.class, NAME).getMetadata().getNamespace());
    Map<String, String> selector = ds.getSpec().getSelector().getMatchLabels();
    assertTrue(
        ds.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()),
        "the selector must select the template's pods");
  }

  @Test
  void nodeNameComesFromTheDownwardApi() {
    EnvVar nodeName = env(container(), "NODE_NAME").orElseThrow(() -> new AssertionError("no NODE_NAME env"));
    assertEquals("spec.nodeName", nodeName.getValueFrom().getFieldRef().getFieldPath());
    assertTrue(argsOf(container()).stream().noneMatch(a -> a.startsWith("--node-name")), "the agent reads NODE_NAME itself");
  }

  @Test
  void hostMemoryForSwapComesFromAnOptionalConfigMapKey() {
    EnvVar swap = env(container(), "TESSERA_SWAP_HOST_MEMORY").orElseThrow(() -> new AssertionError("no swap env"));
    var ref = swap.getValueFrom().getConfigMapKeyRef();
    assertEquals("swap-host-memory", ref.getKey());
    assertTrue(ref.getOptional(), "a cluster without the ConfigMap runs without swap, not without agents");
  }

  @Test
  void metricsPortIsDcgmExportersAndScrapedAndProbed() {
    Container c = container();
    int port = AgentConfig.DEFAULT_METRICS_PORT;
    assertEquals(9400, port, "dcgm-exporter's port");
    assertEquals(String.valueOf(port), arg(c, "--metrics-port"));
    ContainerPort metrics =
        c.getPorts().stream().filter(p -> "metrics".equals(p.getName())).findFirst()
            .orElseThrow(() -> new AssertionError("no container port named metrics"));
    assertEquals(port, metrics.getContainerPort());
    Map<String, String> ann = one(DaemonSet.class, NAME).getSpec().getTemplate().getMetadata().getAnnotations();
    assertEquals("true", ann.get("prometheus.io/scrape"));
    assertEquals(String.valueOf(port), ann.get("prometheus.io/port"));
    assertEquals("/metrics", ann.get("prometheus.io/path"));
    assertProbe(c.getLivenessProbe(), "livenessProbe");
    assertProbe(c.getReadinessProbe(), "readinessProbe");
  }

  @Test
  void devicePluginDirectoryAndResourceNameAreTheCodes() {
    Container c = container();
    String pluginDir = DevicePluginConfig.DEFAULT_PLUGIN_DIR.toString();
    assertEquals(pluginDir, arg(c, "--device-plugin-dir"));
    assertHostPathMounted(c, pluginDir, "Directory");
    assertEquals(DevicePluginConfig.DEFAULT_RESOURCE_NAME, arg(c, "--resource-name"));
    assertEquals("nvidia.com/gpu", DevicePluginConfig.DEFAULT_RESOURCE_NAME);
    assertTrue(
        c.getResources() == null || c.getResources().getLimits() == null
            || !c.getResources().getLimits().containsKey(DevicePluginConfig.DEFAULT_RESOURCE_NAME),
        "the agent must not take a GPU slot itself");

    String stateDir = DevicePluginConfig.DEFAULT_STATE_DIR.toString();
    assertEquals(stateDir, arg(c, "--state-dir"));
    assertHostPathMounted(c, stateDir, "DirectoryOrCreate");
  }

  @Test
  void anInitContainerInstallsTheNativeLibraryWhereTheDevicePluginMountsItFrom() throws IOException {
    PodSpec pod = one(DaemonSet.class, NAME).getSpec().getTemplate().getSpec();
    Container init =
        pod.getInitContainers().stream().filter(c -> c.getName().equals("install-native-library")).findFirst()
            .orElseThrow(() -> new AssertionError("no init container install-native-library"));
    String installed = DevicePluginConfig.DEFAULT_INSTALL_DIR.resolve("lib").resolve("libtessera-cuda.so").toString();
    String script = String.join(" ", init.getCommand());
    assertTrue(script.contains("mv -f") && script.endsWith(installed), "installs to " + installed + ": " + script);
    assertEquals(container().getImage(), init.getImage(), "the library comes from the agent's own image");
    assertHostPathMounted(init, DevicePluginConfig.DEFAULT_INSTALL_DIR.toString(), "DirectoryOrCreate");

    // The image puts the library where the init container copies it from.
    String dockerfile = java.nio.file.Files.readString(java.nio.file.Path.of("Dockerfile"));
    assertTrue(dockerfile.contains("COPY native/target/libtessera-cuda.so /opt/tessera/lib/libtessera-cuda.so"), dockerfile);
    assertTrue(script.contains("cp /opt/tessera/lib/libtessera-cuda.so "), script);
  }

  @Test
  void theMemoryGuardSeesAndMayKillOtherPodsProcessesAndNothingMore() {
    PodSpec pod = one(DaemonSet.class, NAME).getSpec().getTemplate().getSpec();
    assertEquals(Boolean.TRUE, pod.getHostPID(), "the guard finds borrowing processes in the host's /proc");
    var capabilities = container().getSecurityContext().getCapabilities();
    assertEquals(List.of("ALL"), capabilities.getDrop());
    assertEquals(List.of("KILL"), capabilities.getAdd(), "KILL to take loans back from other users' processes");
    assertEquals(Boolean.FALSE, container().getSecurityContext().getPrivileged());
  }

  @Test
  void reportsGoToTheExtenderService() {
    HostPort target = HostPort.parse(arg(container(), "--extender"));
    assertEquals(EXTENDER_HOST, target.host());
    Service svc = one(Service.class, "tessera-extender");
    assertTrue(
        svc.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == target.port()),
        "Service tessera-extender exposes no port " + target.port() + " for the reports: "
            + svc.getSpec().getPorts().stream().map(p -> p.getName() + "=" + p.getPort()).toList());
  }

  @Test
  void jvmFlagsAreTheOnesTheFootprintBenchmarkMeasures() throws IOException {
    String flags = env(container(), "JAVA_TOOL_OPTIONS").map(EnvVar::getValue).orElse("");
    assertTrue(flags.contains("-Xmx"), "a bounded heap: " + flags);
    Path script = repo.resolve("bench/agent-footprint.sh");
    Matcher m = Pattern.compile("(?m)^JVM_FLAGS=\"([^\"]*)\"").matcher(Files.readString(script));
    assertTrue(m.find(), script + " defines no JVM_FLAGS=\"...\"");
    assertEquals(m.group(1), flags, "the DaemonSet must run with the flags the benchmark measured");
  }

  @Test
  void rbacGrantsExactlyWhatTheDevicePluginNeeds() {
    Set<String> granted = new TreeSet<>();
    int bindings = 0;
    for (ClusterRoleBinding b : all(ClusterRoleBinding.class)) {
      boolean ours =
          b.getSubjects().stream()
              .anyMatch(s -> "ServiceAccount".equals(s.getKind()) && NAME.equals(s.getName()) && NAMESPACE.equals(s.getNamespace()));
      if (!ours) {
        continue;
      }
      bindings++;
      ClusterRole role = one(ClusterRole.class, b.getRoleRef().getName());
      for (PolicyRule r : role.getRules()) {
        assertTrue(r.getResourceNames() == null || r.getResourceNames().isEmpty(), "any pod of the node");
        for (String g : r.getApiGroups()) {
          for (String res : r.getResources()) {
            for (String v : r.getVerbs()) {
              granted.add((g.isEmpty() ? "core" : g) + "/" + res + ":" + v);
            }
          }
        }
      }
    }
    assertEquals(1, bindings, "one ClusterRoleBinding for " + NAME);
    assertEquals(new TreeSet<>(ALLOWED), granted);
    assertFalse(all(io.fabric8.kubernetes.api.model.rbac.RoleBinding.class).stream()
        .anyMatch(b -> b.getSubjects().stream().anyMatch(s -> NAME.equals(s.getName()))), "no other grants");
  }

  // ---------------------------------------------------------------------------------------------

  private static Container container() {
    List<Container> cs = one(DaemonSet.class, NAME).getSpec().getTemplate().getSpec().getContainers();
    assertEquals(1, cs.size(), "one container");
    return cs.get(0);
  }

  private static void assertProbe(Probe probe, String what) {
    assertNotNull(probe, what);
    HTTPGetAction get = probe.getHttpGet();
    assertNotNull(get, what + " must be httpGet");
    assertEquals("/healthz", get.getPath(), what + " path");
    assertEquals(new IntOrString("metrics"), get.getPort(), what + " port");
  }

  private static void assertHostPathMounted(Container c, String path, String type) {
    PodSpec pod = one(DaemonSet.class, NAME).getSpec().getTemplate().getSpec();
    VolumeMount mount =
        c.getVolumeMounts().stream().filter(m -> path.equals(m.getMountPath())).findFirst()
            .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
    Volume v =
        pod.getVolumes().stream().filter(x -> x.getName().equals(mount.getName())).findFirst()
            .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
    assertNotNull(v.getHostPath(), path + " must be a hostPath volume");
    assertEquals(path, v.getHostPath().getPath(), "the host's " + path + " at the same path");
    assertEquals(type, v.getHostPath().getType());
    assertFalse(Boolean.TRUE.equals(mount.getReadOnly()), path + " is written by the agent");
  }

  private static Optional<EnvVar> env(Container c, String name) {
    return c.getEnv().stream().filter(e -> name.equals(e.getName())).findFirst();
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

  private static String arg(Container c, String option) {
    return argsOf(c).stream()
        .filter(a -> a.startsWith(option + "="))
        .map(a -> a.substring(option.length() + 1))
        .findFirst()
        .orElseThrow(() -> new AssertionError("the agent has no " + option + "=... argument: " + argsOf(c)));
  }

  private static <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(Class<T> type, String name) {
    List<T> found = all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).toList();
    if (found.size() != 1) {
      fail("deploy/ should define one " + type.getSimpleName() + " " + name + ", found " + found.size() + " " + problems);
    }
    return found.get(0);
  }

  private static Path findRepo() {
    for (Path dir = Paths.get(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new AssertionError("no directory with deploy/ and pom.xml above " + System.getProperty("user.dir"));
  }

  /** A typo such as {@code readinesProbe} parses into {@code additionalProperties}; find those. */
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
      Object extra = o.getClass().getMethod("getAdditionalProperties").invoke(o);
      if (extra instanceof Map<?, ?> map && !map.isEmpty()) {
        out.add(path + ": " + map.keySet());
      }
    } catch (NoSuchMethodException e) {
      // not a generated model class
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    for (Method getter : o.getClass().getMethods()) {
      if (getter.getParameterCount() == 0
          && getter.getName().startsWith("get")
          && !getter.getName().equals("getAdditionalProperties")
          && !getter.getName().equals("getClass")
          && getter.getDeclaringClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
        try {
          collectUnknownFields(getter.invoke(o), path + "." + getter.getName().substring(3), out);
        } catch (ReflectiveOperationException | RuntimeException e) {
          // a getter that computes rather than reads: nothing a manifest could put there
        }
      }
    }
  }
}
