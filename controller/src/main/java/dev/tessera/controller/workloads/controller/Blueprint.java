package dev.tessera.controller.workloads.controller;

import dev.tessera.api.WellKnown;
import dev.tessera.api.policy.PodGroupResource;
import dev.tessera.api.policy.PodGroupSpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a workload should own, built from its spec: its PodGroup, its pods and its Services. Pure:
 * the controller compares this with what exists and creates what is missing.
 *
 * <p>Every pod carries the workload's labels (so the controller finds it), the pod-group label
 * (so the extender places the workload as one gang), {@code schedulerName: tessera-scheduler},
 * the GPU request in the form the extender reads (whole GPUs as {@code nvidia.com/gpu}; fractions
 * and memory as annotations plus one {@code tessera.dev/gpu-share}), and an owner reference to
 * the workload so deleting it deletes them.
 */
public final class Blueprint {
  public static final String WORKLOAD_LABEL = dev.tessera.extender.ledger.PodIndex.WORKLOAD_LABEL;
  /**
   * The owning workload's UID on everything it owns: two workloads of different kinds may share a
   * name, never a UID, so this, not the name, says whose an object is.
   */
  public static final String WORKLOAD_UID_LABEL = "tessera.dev/workload-uid";
  public static final String ROLE_LABEL = "tessera.dev/role";
  /** Appended to the workload's name for the Service of its connections. */
  public static final String CONNECT_SUFFIX = "-connect";
  public static final String API_VERSION = WellKnown.API_GROUP + "/" + WellKnown.API_VERSION;

  /**
   * How a distributed training's pods find each other.
   *
   * @param framework pytorch, tensorflow or mpi
   * @param workers worker replicas besides the master; the most, when elastic
   * @param minWorkers the fewest workers it runs with, for an elastic training; null for a fixed size
   */
  public record Distributed(String framework, int workers, int masterPort, Integer minWorkers) {
    public Distributed {
      Objects.requireNonNull(framework, "framework");
      if (workers < 0) {
        throw new IllegalArgumentException("workers must be >= 0, was " + workers);
      }
      if (minWorkers != null && (minWorkers < 0 || minWorkers > workers)) {
        throw new IllegalArgumentException("minWorkers must be between 0 and " + workers + ", was " + minWorkers);
      }
    }

    public Distributed(String framework, int workers, int masterPort) {
      this(framework, workers, masterPort, null);
    }

    int worldSize() {
      return workers + 1;
    }

    boolean elastic() {
      return minWorkers != null;
    }

    /** Pods that must run together: the master and every worker, or the elastic minimum. */
    int gangMinimum() {
      return (elastic() ? minWorkers : workers) + 1;
    }
  }

  /**
   * The workload being built: its identity and spec.
   *
   * @param distributed a distributed training's shape; null for the other kinds
   * @param servingReplicas an inference's replicas (its minimum); 1 for the other kinds
   */
  public record Workload(
      WorkloadKind kind, String namespace, String name, String uid, WorkloadSpec spec, Distributed distributed,
      int servingReplicas) {
    public Workload {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(uid, "uid");
      Objects.requireNonNull(spec, "spec");
      if (kind == WorkloadKind.DISTRIBUTED_TRAINING) {
        Objects.requireNonNull(distributed, "a distributed training needs its framework and workers");
      }
      if (servingReplicas < 1) {
        throw new IllegalArgumentException("replicas must be >= 1, was " + servingReplicas);
      }
    }

    public Workload(WorkloadKind kind, String namespace, String name, String uid, WorkloadSpec spec, Distributed distributed) {
      this(kind, namespace, name, uid, spec, distributed, 1);
    }

    /** Pods it runs: 1, master plus workers (the most, when elastic), or an inference's replicas. */
    public int replicas() {
      return distributed != null ? distributed.worldSize() : servingReplicas;
    }

    /** Pods it needs running: an elastic training's master and minimum workers, else {@link #replicas}. */
    public int minimumPods() {
      return distributed != null ? distributed.gangMinimum() : replicas();
    }
  }

  /** What the workload owns; {@code deployment} only for an inference, whose pods it then makes. */
  public record Desired(PodGroupResource podGroup, List<Pod> pods, List<Service> services, Deployment deployment) {
  }


  private Blueprint() {}

  public static Desired of(Workload workload, int podGroupTimeoutSeconds) {
    List<Pod> pods = new ArrayList<>();
    List<Service> services = new ArrayList<>();
    if (workload.kind() == WorkloadKind.DISTRIBUTED_TRAINING) {
      Distributed d = workload.distributed();
      String service = workload.name();
      String masterHost = masterName(workload) + "." + service + "." + workload.namespace() + ".svc";
      for (int rank = 0; rank < d.worldSize(); rank++) {
        String pod = rank == 0 ? masterName(workload) : workload.name() + "-worker-" + (rank - 1);
        Pod built = pod(workload, pod, rank == 0 ? "master" : "worker", peerEnv(workload, d, rank, masterHost), service);
        if (rank > 0 && d.elastic()) {
          // Any worker may leave while the minimum runs: torchrun re-forms the group without it.
          built.getMetadata().getAnnotations().put(WellKnown.ELASTIC_ANNOTATION, "true");
        }
        pods.add(built);
      }
      services.add(headless(workload, service, d.masterPort()));
    } else if (workload.kind() != WorkloadKind.INFERENCE) {
      pods.add(pod(workload, workload.name() + "-0", "main", List.of(), null));
    }
    if (workload.spec().connections() != null && !workload.spec().connections().isEmpty()) {
      services.add(connections(workload));
    }
    Deployment deployment = workload.kind() == WorkloadKind.INFERENCE ? deployment(workload) : null;
    return new Desired(podGroup(workload, podGroupTimeoutSeconds), pods, services, deployment);
  }

  /** Labels every object the workload owns carries. */
  public static Map<String, String> labels(Workload workload) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(WORKLOAD_LABEL, workload.name());
    labels.put(WellKnown.WORKLOAD_KIND_LABEL, workload.kind().label());
    labels.put(WORKLOAD_UID_LABEL, workload.uid());
    return labels;
  }

  static String masterName(Workload workload) {
    return workload.name() + "-master-0";
  }

  private static PodGroupResource podGroup(Workload workload, int timeoutSeconds) {
    PodGroupResource group = new PodGroupResource();
    group.setMetadata(meta(workload, workload.name(), labels(workload)));
    group.setSpec(new PodGroupSpec(workload.minimumPods(), null, workload.spec().priorityClassName(), timeoutSeconds));
    return group;
  }

  private static Pod pod(Workload workload, String name, String role, List<EnvVar> extraEnv, String subdomain) {
    WorkloadSpec spec = workload.spec();
    Map<String, String> labels = labels(workload);
    labels.put(ROLE_LABEL, role);
    labels.put(WellKnown.POD_GROUP_LABEL, workload.name());
    Map<String, String> annotations = new LinkedHashMap<>();
    if (spec.nodePools() != null && !spec.nodePools().isEmpty()) {
      annotations.put(WellKnown.NODE_POOLS, String.join(",", spec.nodePools()));
    }
    boolean preemptible = spec.preemptible() != null ? spec.preemptible() : workload.kind().preemptibleByDefault();
    annotations.put(WellKnown.PREEMPTIBLE_ANNOTATION, Boolean.toString(preemptible));

    ResourceRequirementsBuilder resources = new ResourceRequirementsBuilder();
    if (spec.cpu() != null) {
      resources.addToRequests("cpu", new Quantity(spec.cpu()));
    }
    if (spec.memory() != null) {
      resources.addToRequests("memory", new Quantity(spec.memory()));
    }
    if (spec.cpuLimit() != null) {
      resources.addToLimits("cpu", new Quantity(spec.cpuLimit()));
    }
    if (spec.memoryLimit() != null) {
      resources.addToLimits("memory", new Quantity(spec.memoryLimit()));
    }
    WorkloadSpec.GpuSpec gpu = spec.gpu();
    if (gpu != null) {
      if (gpu.count() != null) {
        resources.addToLimits(WellKnown.GPU_RESOURCE, new Quantity(Integer.toString(gpu.count())));
      } else if (gpu.fraction() != null || gpu.memoryMiB() != null) {
        if (gpu.fraction() != null) {
          annotations.put(WellKnown.GPU_FRACTION, Double.toString(gpu.fraction()));
        } else {
          annotations.put(WellKnown.GPU_MEMORY, Long.toString(gpu.memoryMiB()));
        }
        if (gpu.devices() != null && gpu.devices() > 1) {
          annotations.put(WellKnown.GPU_FRACTION_NUM_DEVICES, Integer.toString(gpu.devices()));
        }
        if (gpu.fractionLimit() != null) {
          annotations.put("gpu-fraction-limit", Double.toString(gpu.fractionLimit()));
        }
        if (gpu.memoryLimitMiB() != null) {
          annotations.put("gpu-memory-limit", Long.toString(gpu.memoryLimitMiB()));
        }
        resources.addToLimits(WellKnown.GPU_SHARE_RESOURCE, new Quantity("1"));
      }
    }

    List<EnvVar> env = new ArrayList<>();
    if (spec.env() != null) {
      spec.env().forEach((key, value) -> env.add(new EnvVar(key, value, null)));
    }
    env.addAll(extraEnv);
    ContainerBuilder container = new ContainerBuilder()
        .withName("main")
        .withImage(spec.image())
        .withCommand(spec.command())
        .withArgs(spec.args())
        .withEnv(env)
        .withResources(resources.build());
    PodBuilder pod = new PodBuilder()
        .withMetadata(new ObjectMetaBuilder(meta(workload, name, labels)).withAnnotations(annotations).build())
        .withNewSpec()
        .withSchedulerName(WellKnown.SCHEDULER_NAME)
        .withPriorityClassName(spec.priorityClassName())
        .withHostname(subdomain == null ? null : name)
        .withSubdomain(subdomain)
        .withRestartPolicy(restartPolicy(workload.kind()))
        .endSpec();
    if (spec.connections() != null) {
      for (WorkloadSpec.Connection connection : spec.connections()) {
        container.addNewPort().withName(connection.name()).withContainerPort(connection.port()).endPort();
      }
    }
    if (spec.dataSources() != null) {
      for (WorkloadSpec.DataSource data : spec.dataSources()) {
        container.addToVolumeMounts(new VolumeMountBuilder()
            .withName(data.name()).withMountPath(data.mountPath()).withReadOnly(data.readOnly()).build());
        pod.editSpec().addToVolumes(new VolumeBuilder()
            .withName(data.name())
            .withNewPersistentVolumeClaim(data.claimName(), data.readOnly())
            .build()).endSpec();
      }
    }
    Container built = container.build();
    return pod.editSpec().withContainers(built).endSpec().build();
  }

  /**
   * Servers (a workspace, an inference replica) restart in place, and a Deployment accepts no other
   * policy; a training's pod runs to its end, and a failure is the training's.
   */
  static String restartPolicy(WorkloadKind kind) {
    return kind == WorkloadKind.WORKSPACE || kind == WorkloadKind.INFERENCE ? "Always" : "Never";
  }

  /** PyTorch's, TensorFlow's or MPI's way of finding the peers. */
  private static List<EnvVar> peerEnv(Workload workload, Distributed d, int rank, String masterHost) {
    List<EnvVar> env = new ArrayList<>();
    switch (d.framework()) {
      case "pytorch" -> {
        env.add(new EnvVar("MASTER_ADDR", masterHost, null));
        env.add(new EnvVar("MASTER_PORT", Integer.toString(d.masterPort()), null));
        if (d.elastic()) {
          env.addAll(elasticEnv(workload, d, masterHost));
        } else {
          env.add(new EnvVar("WORLD_SIZE", Integer.toString(d.worldSize()), null));
          env.add(new EnvVar("RANK", Integer.toString(rank), null));
        }
      }
      case "tensorflow" -> {
        StringBuilder workers = new StringBuilder();
        for (int r = 0; r < d.worldSize(); r++) {
          String host = r == 0 ? masterName(workload) : workload.name() + "-worker-" + (r - 1);
          workers.append(r == 0 ? "" : ",").append('"').append(host).append('.').append(workload.name())
              .append('.').append(workload.namespace()).append(".svc:").append(d.masterPort()).append('"');
        }
        env.add(new EnvVar("TF_CONFIG",
            "{\"cluster\":{\"worker\":[" + workers + "]},\"task\":{\"type\":\"worker\",\"index\":" + rank + "}}", null));
      }
      case "mpi" -> {
        StringBuilder hosts = new StringBuilder();
        for (int r = 0; r < d.worldSize(); r++) {
          String host = r == 0 ? masterName(workload) : workload.name() + "-worker-" + (r - 1);
          hosts.append(r == 0 ? "" : ",").append(host).append('.').append(workload.name()).append('.')
              .append(workload.namespace()).append(".svc");
        }
        env.add(new EnvVar("TESSERA_MPI_HOSTS", hosts.toString(), null));
        env.add(new EnvVar("OMPI_COMM_WORLD_SIZE", Integer.toString(d.worldSize()), null));
        env.add(new EnvVar("OMPI_COMM_WORLD_RANK", Integer.toString(rank), null));
      }
      default -> throw new IllegalArgumentException(
          "unknown framework '" + d.framework() + "': use pytorch, tensorflow or mpi");
    }
    return env;
  }

  /**
   * torchrun's elastic launch, through the environment variables it reads for its flags (PET_ and
   * the flag's name): the node range, and a c10d rendezvous hosted by the master. Ranks and the world
   * size are torchrun's to assign as workers come and go. Membership changes count as restarts, so
   * the default allows a few per worker; the user's own environment wins.
   */
  private static List<EnvVar> elasticEnv(Workload workload, Distributed d, String masterHost) {
    Map<String, String> user = workload.spec().env() == null ? Map.of() : workload.spec().env();
    Map<String, String> launch = new LinkedHashMap<>();
    launch.put("PET_NNODES", d.gangMinimum() + ":" + d.worldSize());
    launch.put("PET_RDZV_BACKEND", "c10d");
    launch.put("PET_RDZV_ENDPOINT", masterHost + ":" + d.masterPort());
    launch.put("PET_RDZV_ID", workload.uid());
    launch.put("PET_MAX_RESTARTS", Integer.toString(3 * (d.workers() - d.minWorkers() + 1)));
    List<EnvVar> env = new ArrayList<>();
    launch.forEach((name, value) -> {
      if (!user.containsKey(name)) {
        env.add(new EnvVar(name, value, null));
      }
    });
    return env;
  }

  /**
   * An inference's Deployment: its pod template is a workload pod, so the replicas carry the
   * workload's labels and GPU request; scaling between min and max replicas changes
   * {@code replicas}. Its pods join no gang: each replica is useful alone.
   */
  private static Deployment deployment(Workload workload) {
    Pod template = pod(workload, workload.name(), "server", List.of(), null);
    template.getMetadata().getLabels().remove(WellKnown.POD_GROUP_LABEL);
    return new DeploymentBuilder()
        .withMetadata(meta(workload, workload.name(), labels(workload)))
        .withNewSpec()
        .withReplicas(workload.servingReplicas())
        .withNewSelector().addToMatchLabels(WORKLOAD_UID_LABEL, workload.uid()).endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(template.getMetadata().getLabels())
        .withAnnotations(template.getMetadata().getAnnotations())
        .endMetadata()
        .withSpec(template.getSpec())
        .endTemplate()
        .endSpec()
        .build();
  }

  private static Service headless(Workload workload, String name, int port) {
    return new ServiceBuilder()
        .withMetadata(meta(workload, name, labels(workload)))
        .withNewSpec()
        .withClusterIP("None")
        .withPublishNotReadyAddresses(true)
        .withSelector(Map.of(WORKLOAD_UID_LABEL, workload.uid()))
        .withPorts(new ServicePortBuilder().withName("peers").withPort(port).build())
        .endSpec()
        .build();
  }

  private static Service connections(Workload workload) {
    ServiceBuilder service = new ServiceBuilder()
        .withMetadata(meta(workload, workload.name() + CONNECT_SUFFIX, labels(workload)));
    String type = "ClusterIP";
    List<io.fabric8.kubernetes.api.model.ServicePort> ports = new ArrayList<>();
    for (WorkloadSpec.Connection connection : workload.spec().connections()) {
      if ("NodePort".equals(connection.exposure())) {
        type = "NodePort";
      }
      ports.add(new ServicePortBuilder().withName(connection.name()).withPort(connection.port()).build());
    }
    return service.withNewSpec()
        .withType(type)
        .withSelector(Map.of(WORKLOAD_UID_LABEL, workload.uid()))
        .withPorts(ports)
        .endSpec()
        .build();
  }

  private static ObjectMeta meta(Workload workload, String name, Map<String, String> labels) {
    OwnerReference owner = new OwnerReferenceBuilder()
        .withApiVersion(API_VERSION)
        .withKind(workload.kind().kind())
        .withName(workload.name())
        .withUid(workload.uid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
    return new ObjectMetaBuilder()
        .withNamespace(workload.namespace())
        .withName(name)
        .withLabels(new LinkedHashMap<>(labels))
        .withOwnerReferences(owner)
        .build();
  }
}
