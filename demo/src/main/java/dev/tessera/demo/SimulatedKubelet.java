package dev.tessera.demo;

import dev.tessera.api.WellKnown;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EndpointAddressBuilder;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.EndpointSubsetBuilder;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs pods on a real cluster, in the small that the demo's workloads need to reach Running
 * on the in-process API, which has no kubelets and no controller manager:
 *
 * <ul>
 *   <li>as kubelets: a pod bound to a node starts at once: phase Running, an IP, its containers
 *       running and ready, and the Ready condition;
 *   <li>as kube-controller-manager's ReplicaSets: a Deployment the workload controller made (an
 *       Inference's) has as many pods from its template as its replicas ask for;
 *   <li>as its endpoints controller: each Service of a workload (headless ones aside) lists the
 *       ready pods it selects, in Endpoints that carry the Service's labels, as the workload
 *       controller expects before it calls a workload with connections Running.
 * </ul>
 *
 * Every {@link #PERIOD} it looks at everything again and does what is missing; a write that fails
 * (a pod changed meanwhile) is done again next round.
 */
public final class SimulatedKubelet implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SimulatedKubelet.class);
  static final Duration PERIOD = Duration.ofMillis(500);
  /** kube-controller-manager's alphabet for generated name suffixes: no vowels, no look-alikes. */
  private static final String SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private final KubernetesClient client;
  private final Clock clock;
  private final ScheduledExecutorService thread;
  private final AtomicInteger addresses = new AtomicInteger();

  SimulatedKubelet(KubernetesClient client, Clock clock, ScheduledExecutorService thread) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.thread = Objects.requireNonNull(thread, "thread");
  }

  /** Starts running pods on the cluster of {@code client}, every {@link #PERIOD}. */
  public static SimulatedKubelet start(KubernetesClient client, Clock clock) {
    SimulatedKubelet kubelet = new SimulatedKubelet(client, clock,
        Executors.newSingleThreadScheduledExecutor(DemoThreads.daemon("tessera-demo-kubelet")));
    kubelet.thread.scheduleWithFixedDelay(kubelet::roundQuietly, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return kubelet;
  }

  private void roundQuietly() {
    try {
      round();
    } catch (KubernetesClientException e) {
      log.debug("simulated kubelet: {}; again in {}", e.getMessage(), PERIOD);
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later round.
      log.warn("the simulated kubelet failed a round; trying again in {}", PERIOD, e);
    }
  }

  /** One look at everything: replicas made, bound pods started, endpoints listed. */
  void round() {
    for (Deployment deployment :
        client.apps().deployments().inAnyNamespace().withLabel(WellKnown.WORKLOAD_LABEL).list().getItems()) {
      replicas(deployment);
    }
    List<Pod> pods = client.pods().inAnyNamespace().list().getItems();
    for (Pod pod : pods) {
      if (bound(pod) && !started(pod) && pod.getMetadata().getDeletionTimestamp() == null) {
        start(pod);
      }
    }
    for (Service service : client.services().inAnyNamespace().withLabel(WellKnown.WORKLOAD_LABEL).list().getItems()) {
      if (!"None".equals(service.getSpec().getClusterIP()) && service.getSpec().getSelector() != null) {
        endpoints(service);
      }
    }
  }

  /** As a ReplicaSet: as many live pods from the template as the Deployment asks for. */
  private void replicas(Deployment deployment) {
    String namespace = deployment.getMetadata().getNamespace();
    int wanted = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
    List<Pod> live = new ArrayList<>(client.pods().inNamespace(namespace)
        .withLabels(deployment.getSpec().getSelector().getMatchLabels()).list().getItems().stream()
        .filter(pod -> pod.getMetadata().getDeletionTimestamp() == null && !finished(pod))
        .toList());
    for (int i = live.size(); i < wanted; i++) {
      var template = deployment.getSpec().getTemplate();
      client.pods().inNamespace(namespace).resource(new PodBuilder()
          .withMetadata(new ObjectMetaBuilder()
              .withNamespace(namespace)
              .withName(deployment.getMetadata().getName() + "-" + suffix())
              .withLabels(template.getMetadata().getLabels())
              .withAnnotations(template.getMetadata().getAnnotations())
              .build())
          .withSpec(template.getSpec())
          .withNewStatus().withPhase("Pending").endStatus()
          .build()).create();
    }
    // Scaling down, the newest go first.
    live.sort(Comparator.comparing((Pod pod) -> pod.getMetadata().getCreationTimestamp()).reversed());
    for (int i = 0; i < live.size() - wanted; i++) {
      client.pods().inNamespace(namespace).withName(live.get(i).getMetadata().getName()).delete();
    }
  }

  /** As the node's kubelet: the containers start and pass their readiness checks at once. */
  private void start(Pod pod) {
    String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    int n = addresses.incrementAndGet();
    String ip = "10.244." + (n / 250) + "." + (n % 250 + 2);
    List<ContainerStatus> containers = new ArrayList<>();
    pod.getSpec().getContainers().forEach(container -> containers.add(new ContainerStatusBuilder()
        .withName(container.getName())
        .withImage(container.getImage())
        .withReady(true)
        .withStarted(true)
        .withRestartCount(0)
        .withNewState().withNewRunning().withStartedAt(now).endRunning().endState()
        .build()));
    List<PodCondition> conditions = new ArrayList<>();
    for (String type : List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
      conditions.add(new PodConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(now).build());
    }
    client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
        .editStatus(current -> {
          if (current.getStatus() == null) {
            current.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
          }
          current.getStatus().setPhase("Running");
          current.getStatus().setPodIP(ip);
          current.getStatus().setPodIPs(List.of(new PodIP(ip)));
          current.getStatus().setStartTime(now);
          current.getStatus().setConditions(conditions);
          current.getStatus().setContainerStatuses(containers);
          return current;
        });
  }

  /** As the endpoints controller: the ready pods the Service selects, under the Service's labels. */
  private void endpoints(Service service) {
    String namespace = service.getMetadata().getNamespace();
    String name = service.getMetadata().getName();
    List<Pod> ready = client.pods().inNamespace(namespace).withLabels(service.getSpec().getSelector()).list()
        .getItems().stream()
        .filter(pod -> pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())
            && pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus().getPodIP() != null)
        .sorted(Comparator.comparing(pod -> pod.getMetadata().getName()))
        .toList();
    List<EndpointSubset> subsets = new ArrayList<>();
    if (!ready.isEmpty()) {
      List<EndpointPort> ports = service.getSpec().getPorts().stream()
          .map(port -> new EndpointPortBuilder().withName(port.getName()).withPort(port.getPort())
              .withProtocol(port.getProtocol()).build())
          .toList();
      subsets.add(new EndpointSubsetBuilder()
          .withAddresses(ready.stream().map(pod -> new EndpointAddressBuilder()
              .withIp(pod.getStatus().getPodIP())
              .withNodeName(pod.getSpec().getNodeName())
              .withNewTargetRef().withKind("Pod").withNamespace(namespace).withName(pod.getMetadata().getName())
              .withUid(pod.getMetadata().getUid()).endTargetRef()
              .build()).toList())
          .withPorts(ports)
          .build());
    }
    Endpoints existing = client.endpoints().inNamespace(namespace).withName(name).get();
    Map<String, String> labels = new HashMap<>(service.getMetadata().getLabels());
    if (existing == null) {
      client.endpoints().inNamespace(namespace).resource(new EndpointsBuilder()
          .withMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withLabels(labels).build())
          .withSubsets(subsets)
          .build()).create();
    } else if (!addresses(subsets).equals(addresses(existing.getSubsets()))) {
      client.endpoints().inNamespace(namespace).withName(name).edit(current -> {
        current.setSubsets(subsets);
        current.getMetadata().setLabels(labels);
        return current;
      });
    }
  }

  /** What a change of endpoints is about: which addresses, on which ports. */
  private static List<String> addresses(List<EndpointSubset> subsets) {
    List<String> seen = new ArrayList<>();
    if (subsets != null) {
      for (EndpointSubset subset : subsets) {
        for (var address : subset.getAddresses() == null ? List.<io.fabric8.kubernetes.api.model.EndpointAddress>of()
            : subset.getAddresses()) {
          for (EndpointPort port : subset.getPorts() == null ? List.<EndpointPort>of() : subset.getPorts()) {
            seen.add(address.getIp() + ":" + port.getPort());
          }
        }
      }
    }
    return seen;
  }

  private static boolean bound(Pod pod) {
    return pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty();
  }

  private static boolean started(Pod pod) {
    return pod.getStatus() != null && ("Running".equals(pod.getStatus().getPhase()) || finished(pod));
  }

  private static boolean finished(Pod pod) {
    return pod.getStatus() != null
        && ("Succeeded".equals(pod.getStatus().getPhase()) || "Failed".equals(pod.getStatus().getPhase()));
  }

  private static String suffix() {
    StringBuilder suffix = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      suffix.append(SUFFIX_ALPHABET.charAt(ThreadLocalRandom.current().nextInt(SUFFIX_ALPHABET.length())));
    }
    return suffix.toString();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
