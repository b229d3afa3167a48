package dev.tessera.cli;

import dev.tessera.api.syntax.Durations;
import dev.tessera.api.syntax.SeriesSelector;
import dev.tessera.api.workloads.DistributedTrainingSpec;
import dev.tessera.api.workloads.InferenceSpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec.Connection;
import dev.tessera.api.workloads.WorkloadSpec.DataSource;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The spec fields as flags, shared by {@code submit} (over an empty spec or a {@code -f} file) and
 * {@code copy} (over the copied spec). Flags become a map of the fields given and are merged over
 * the base spec, so a flag left out never clears a field; every value is checked here so an error
 * names the flag rather than a JSON path the user never wrote.
 */
public final class SpecOptions {
  @Option(names = "--image", paramLabel = "IMAGE", description = "Container image.")
  String image;

  @Option(names = "--command", paramLabel = "WORD",
      description = "The container's command, one word per flag (repeatable); default: the image's.")
  List<String> command;

  @Option(names = "--args", paramLabel = "ARG",
      description = "An argument (repeatable); or put them all after --.")
  List<String> args;

  @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Environment variable (repeatable).")
  Map<String, String> env;

  @Option(names = "--gpu", paramLabel = "N", description = "Whole GPUs per pod.")
  Integer gpu;

  @Option(names = "--gpu-fraction", paramLabel = "F", description = "A fraction of a GPU per pod, 0 < F < 1.")
  Double gpuFraction;

  @Option(names = "--gpu-memory", paramLabel = "MIB", description = "GPU memory per pod, in MiB.")
  Long gpuMemory;

  @Option(names = "--gpu-devices", paramLabel = "N",
      description = "With --gpu-fraction or --gpu-memory: on how many GPUs (default 1).")
  Integer gpuDevices;

  @Option(names = "--gpu-fraction-limit", paramLabel = "F",
      description = "With --gpu-fraction: the most it may burst to, up to 1.")
  Double gpuFractionLimit;

  @Option(names = "--gpu-memory-limit", paramLabel = "MIB",
      description = "With --gpu-memory: the most GPU memory it may burst to.")
  Long gpuMemoryLimit;

  @Option(names = "--cpu", paramLabel = "QUANTITY", description = "CPU request (500m, 2).")
  String cpu;

  @Option(names = "--cpu-limit", paramLabel = "QUANTITY", description = "CPU limit.")
  String cpuLimit;

  @Option(names = "--memory", paramLabel = "QUANTITY", description = "Memory request (8Gi).")
  String memory;

  @Option(names = "--memory-limit", paramLabel = "QUANTITY", description = "Memory limit.")
  String memoryLimit;

  @Option(names = "--node-pools", paramLabel = "POOL", split = ",",
      description = "Node pools in order of preference: a100,h100.")
  List<String> nodePools;

  @Option(names = "--priority-class", paramLabel = "NAME", description = "The pods' priority class.")
  String priorityClass;

  @Option(names = "--preemptible", arity = "1", paramLabel = "true|false",
      description = "Whether reclaim and preemption may take its pods (default: workspaces no, others yes).")
  Boolean preemptible;

  @Option(names = "--pvc", paramLabel = "NAME:CLAIM:/MOUNT[:ro]", converter = DataSourceConverter.class,
      description = "Mount a PersistentVolumeClaim (repeatable).")
  List<DataSource> pvcs;

  @Option(names = "--port", paramLabel = "NAME:PORT[:NodePort]", converter = ConnectionConverter.class,
      description = "Expose a port, ClusterIP unless :NodePort (repeatable).")
  List<Connection> ports;

  @Option(names = "--framework", paramLabel = "pytorch|tensorflow|mpi",
      description = "distributed-training: how the pods find each other.")
  String framework;

  @Option(names = "--workers", paramLabel = "N", description = "distributed-training: pods besides the master.")
  Integer workers;

  @Option(names = "--min-workers", paramLabel = "N",
      description = "distributed-training, elastic (pytorch): the fewest workers it starts and runs with;"
          + " with --max-workers instead of --workers.")
  Integer minWorkers;

  @Option(names = "--max-workers", paramLabel = "N",
      description = "distributed-training, elastic (pytorch): the most workers it grows to in idle GPUs.")
  Integer maxWorkers;

  @Option(names = "--master-port", paramLabel = "PORT", description = "distributed-training: the master's port.")
  Integer masterPort;

  @Option(names = "--min-replicas", paramLabel = "N", description = "inference: replicas kept running.")
  Integer minReplicas;

  @Option(names = "--max-replicas", paramLabel = "N", description = "inference: replicas it may scale to.")
  Integer maxReplicas;

  @Option(names = "--autoscale-metric", paramLabel = "gpu-utilization|concurrency|requests-per-second",
      description = "inference: scale between the replica bounds on this metric, with --autoscale-target.")
  String autoscaleMetric;

  @Option(names = "--autoscale-target", paramLabel = "N",
      description = "inference: the load per replica to hold: GPU percent, requests in flight or requests per second.")
  Integer autoscaleTarget;

  @Option(names = "--scale-down-after", paramLabel = "DURATION",
      description = "inference: how long fewer replicas must suffice before they go, e.g. 90s (default 5m).")
  String scaleDownAfter;

  @Option(names = "--metrics-series", paramLabel = "SERIES",
      description = "inference, concurrency or requests-per-second: the Prometheus series each replica serves,"
          + " e.g. vllm:num_requests_running.")
  String metricsSeries;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "inference: the port of the replicas' metrics page (default: the first --port's).")
  Integer metricsPort;

  @Option(names = "--metrics-path", paramLabel = "PATH",
      description = "inference: the path of the replicas' metrics page (default /metrics).")
  String metricsPath;

  /**
   * The base spec with every given flag merged over it (and {@code rest}, the words after --, as
   * args), checked; throws a usage {@link CliException} naming the flag at fault.
   */
  Map<String, Object> applyTo(WorkloadKind kind, Map<String, Object> base, List<String> rest) {
    Map<String, Object> overrides = overrides(kind, rest);
    Map<String, Object> merged = new LinkedHashMap<>(base);
    overrides.forEach((field, value) -> merged.put(field, merge(field, base.get(field), value)));
    checkMerged(kind, merged);
    return merged;
  }

  private Map<String, Object> overrides(WorkloadKind kind, List<String> rest) {
    checkValues(kind);
    Map<String, Object> fields = new LinkedHashMap<>();
    put(fields, "image", image);
    put(fields, "command", command);
    List<String> allArgs = new ArrayList<>();
    if (args != null) {
      allArgs.addAll(args);
    }
    if (rest != null) {
      allArgs.addAll(rest);
    }
    put(fields, "args", allArgs.isEmpty() ? null : allArgs);
    put(fields, "env", env);
    Map<String, Object> gpuFields = new LinkedHashMap<>();
    put(gpuFields, "count", gpu);
    put(gpuFields, "fraction", gpuFraction);
    put(gpuFields, "memoryMiB", gpuMemory);
    put(gpuFields, "devices", gpuDevices);
    put(gpuFields, "fractionLimit", gpuFractionLimit);
    put(gpuFields, "memoryLimitMiB", gpuMemoryLimit);
    put(fields, "gpu", gpuFields.isEmpty() ? null : gpuFields);
    put(fields, "cpu", cpu);
    put(fields, "cpuLimit", cpuLimit);
    put(fields, "memory", memory);
    put(fields, "memoryLimit", memoryLimit);
    put(fields, "nodePools", nodePools);
    put(fields, "priorityClassName", priorityClass);
    put(fields, "preemptible", preemptible);
    put(fields, "dataSources", pvcs == null ? null : pvcs.stream().map(SpecOptions::asMap).toList());
    put(fields, "connections", ports == null ? null : ports.stream().map(SpecOptions::asMap).toList());
    put(fields, "framework", framework);
    put(fields, "workers", workers);
    put(fields, "minWorkers", minWorkers);
    put(fields, "maxWorkers", maxWorkers);
    put(fields, "masterPort", masterPort);
    put(fields, "minReplicas", minReplicas);
    put(fields, "maxReplicas", maxReplicas);
    Map<String, Object> autoscaling = new LinkedHashMap<>();
    put(autoscaling, "metric", autoscaleMetric);
    put(autoscaling, "target", autoscaleTarget);
    put(autoscaling, "scaleDownAfter", scaleDownAfter);
    put(autoscaling, "port", metricsPort);
    put(autoscaling, "path", metricsPath);
    put(autoscaling, "series", metricsSeries);
    put(fields, "autoscaling", autoscaling.isEmpty() ? null : autoscaling);
    return fields;
  }

  /** Each flag on its own: ranges, formats, and whether the kind has that field at all. */
  private void checkValues(WorkloadKind kind) {
    int requests = (gpu != null ? 1 : 0) + (gpuFraction != null ? 1 : 0) + (gpuMemory != null ? 1 : 0);
    if (requests > 1) {
      throw CliException.usage("--gpu, --gpu-fraction and --gpu-memory exclude each other; give one");
    }
    if (gpu != null && gpu < 1) {
      throw CliException.usage("--gpu must be at least 1, was " + gpu);
    }
    if (gpuFraction != null && !(gpuFraction > 0 && gpuFraction < 1)) {
      throw CliException.usage("--gpu-fraction must be between 0 and 1 (exclusive), was " + gpuFraction);
    }
    if (gpuMemory != null && gpuMemory < 1) {
      throw CliException.usage("--gpu-memory must be at least 1 MiB, was " + gpuMemory);
    }
    if (gpuDevices != null && gpuDevices < 1) {
      throw CliException.usage("--gpu-devices must be at least 1, was " + gpuDevices);
    }
    if (gpuFractionLimit != null && !(gpuFractionLimit > 0 && gpuFractionLimit <= 1)) {
      throw CliException.usage("--gpu-fraction-limit must be above 0 and at most 1, was " + gpuFractionLimit);
    }
    if (gpuMemoryLimit != null && gpuMemoryLimit < 1) {
      throw CliException.usage("--gpu-memory-limit must be at least 1 MiB, was " + gpuMemoryLimit);
    }
    checkQuantity("--cpu", cpu);
    checkQuantity("--cpu-limit", cpuLimit);
    checkQuantity("--memory", memory);
    checkQuantity("--memory-limit", memoryLimit);
    if (nodePools != null && nodePools.stream().anyMatch(String::isBlank)) {
      throw CliException.usage("--node-pools must list pool names separated by commas, was '"
          + String.join(",", nodePools) + "'");
    }
    boolean distributed = kind == WorkloadKind.DISTRIBUTED_TRAINING;
    onlyFor("--framework", framework, distributed, "distributed-training");
    onlyFor("--workers", workers, distributed, "distributed-training");
    onlyFor("--min-workers", minWorkers, distributed, "distributed-training");
    onlyFor("--max-workers", maxWorkers, distributed, "distributed-training");
    onlyFor("--master-port", masterPort, distributed, "distributed-training");
    boolean inference = kind == WorkloadKind.INFERENCE;
    onlyFor("--min-replicas", minReplicas, inference, "inference");
    onlyFor("--max-replicas", maxReplicas, inference, "inference");
    onlyFor("--autoscale-metric", autoscaleMetric, inference, "inference");
    onlyFor("--autoscale-target", autoscaleTarget, inference, "inference");
    onlyFor("--scale-down-after", scaleDownAfter, inference, "inference");
    onlyFor("--metrics-series", metricsSeries, inference, "inference");
    onlyFor("--metrics-port", metricsPort, inference, "inference");
    onlyFor("--metrics-path", metricsPath, inference, "inference");
    if (framework != null && !DistributedTrainingSpec.FRAMEWORKS.contains(framework)) {
      throw CliException.usage("--framework must be one of " + String.join(", ", DistributedTrainingSpec.FRAMEWORKS)
          + ", was '" + framework + "'");
    }
    if (workers != null && workers < 1) {
      throw CliException.usage("--workers must be at least 1, was " + workers);
    }
    if (workers != null && (minWorkers != null || maxWorkers != null)) {
      throw CliException.usage("--workers fixes the size and --min-workers/--max-workers make it elastic: give one or"
          + " the other");
    }
    if ((minWorkers == null) != (maxWorkers == null)) {
      throw CliException.usage("an elastic training needs both --min-workers and --max-workers");
    }
    if (minWorkers != null && minWorkers < 1) {
      throw CliException.usage("--min-workers must be at least 1, was " + minWorkers);
    }
    if (minWorkers != null && maxWorkers < minWorkers) {
      throw CliException.usage("--max-workers (" + maxWorkers + ") must be at least --min-workers (" + minWorkers + ")");
    }
    if (masterPort != null && (masterPort < 1 || masterPort > 65535)) {
      throw CliException.usage("--master-port must be between 1 and 65535, was " + masterPort);
    }
    if (minReplicas != null && minReplicas < 1) {
      throw CliException.usage("--min-replicas must be at least 1, was " + minReplicas);
    }
    if (maxReplicas != null && maxReplicas < 1) {
      throw CliException.usage("--max-replicas must be at least 1, was " + maxReplicas);
    }
    if (autoscaleMetric != null && !InferenceSpec.METRICS.contains(autoscaleMetric)) {
      throw CliException.usage("--autoscale-metric must be one of " + String.join(", ", InferenceSpec.METRICS)
          + ", was '" + autoscaleMetric + "'");
    }
    if (autoscaleTarget != null && autoscaleTarget < 1) {
      throw CliException.usage("--autoscale-target must be at least 1, was " + autoscaleTarget);
    }
    if (scaleDownAfter != null && Durations.parse(scaleDownAfter).isEmpty()) {
      throw CliException.usage("--scale-down-after must be a duration such as 90s, 5m or 1h30m, was '"
          + scaleDownAfter + "'");
    }
    if (metricsSeries != null) {
      try {
        SeriesSelector.parse(metricsSeries);
      } catch (IllegalArgumentException e) {
        throw CliException.usage("--metrics-series must be a Prometheus series such as name or"
            + " name{label=\"value\"}: " + e.getMessage() + "; was '" + metricsSeries + "'");
      }
    }
    if (metricsPort != null && (metricsPort < 1 || metricsPort > 65535)) {
      throw CliException.usage("--metrics-port must be between 1 and 65535, was " + metricsPort);
    }
    if (metricsPath != null && !metricsPath.startsWith("/")) {
      throw CliException.usage("--metrics-path must start with /, was '" + metricsPath + "'");
    }
  }

  /** What only the merged spec shows: limits against requests, min against max. */
  private static void checkMerged(WorkloadKind kind, Map<String, Object> spec) {
    if (spec.get("gpu") instanceof Map<?, ?> gpu) {
      Number fraction = (Number) gpu.get("fraction");
      Number memoryMiB = (Number) gpu.get("memoryMiB");
      if (gpu.get("devices") != null && fraction == null && memoryMiB == null) {
        throw CliException.usage("--gpu-devices needs --gpu-fraction or --gpu-memory");
      }
      Number fractionLimit = (Number) gpu.get("fractionLimit");
      if (fractionLimit != null) {
        if (fraction == null) {
          throw CliException.usage("--gpu-fraction-limit needs --gpu-fraction");
        }
        if (fractionLimit.doubleValue() < fraction.doubleValue()) {
          throw CliException.usage("--gpu-fraction-limit must be at least --gpu-fraction (" + fraction
              + "), was " + fractionLimit);
        }
      }
      Number memoryLimit = (Number) gpu.get("memoryLimitMiB");
      if (memoryLimit != null) {
        if (memoryMiB == null) {
          throw CliException.usage("--gpu-memory-limit needs --gpu-memory");
        }
        if (memoryLimit.longValue() < memoryMiB.longValue()) {
          throw CliException.usage("--gpu-memory-limit must be at least --gpu-memory (" + memoryMiB
              + "), was " + memoryLimit);
        }
      }
    }
    if (kind == WorkloadKind.INFERENCE
        && spec.get("minReplicas") instanceof Number min && spec.get("maxReplicas") instanceof Number max
        && max.intValue() < min.intValue()) {
      throw CliException.usage("--max-replicas must be at least --min-replicas (" + min + "), was " + max);
    }
    if (kind == WorkloadKind.INFERENCE && spec.get("autoscaling") instanceof Map<?, ?> autoscaling) {
      checkAutoscaling(autoscaling, spec.get("connections"));
    }
  }

  /** The merged autoscaling: complete, and with an endpoint exactly when its metric is read from the replicas. */
  private static void checkAutoscaling(Map<?, ?> autoscaling, Object connections) {
    Object metric = autoscaling.get("metric");
    if (metric == null) {
      throw CliException.usage("--autoscale-metric is required to scale: one of " + String.join(", ",
          InferenceSpec.METRICS));
    }
    if (!(autoscaling.get("target") instanceof Number target)) {
      throw CliException.usage("--autoscale-target is required with --autoscale-metric " + metric);
    }
    boolean gpus = InferenceSpec.GPU_UTILIZATION.equals(metric);
    if (gpus && target.intValue() > 100) {
      throw CliException.usage("--autoscale-target is a percentage for gpu-utilization: at most 100, was " + target);
    }
    boolean endpoint = autoscaling.get("series") != null || autoscaling.get("port") != null
        || autoscaling.get("path") != null;
    if (gpus && endpoint) {
      throw CliException.usage("--metrics-series, --metrics-port and --metrics-path apply to concurrency and"
          + " requests-per-second only: gpu-utilization comes from the node agents");
    }
    if (!gpus && autoscaling.get("series") == null) {
      throw CliException.usage("--metrics-series is required with --autoscale-metric " + metric
          + ": the Prometheus series each replica serves, e.g. "
          + (InferenceSpec.CONCURRENCY.equals(metric) ? "vllm:num_requests_running" : "vllm:request_success_total"));
    }
    boolean hasConnection = connections instanceof List<?> list && !list.isEmpty();
    if (!gpus && autoscaling.get("port") == null && !hasConnection) {
      throw CliException.usage("--metrics-port is required with --autoscale-metric " + metric
          + ": there is no --port to read the replicas' metrics on");
    }
  }

  /**
   * A flag's value over the base's: env adds to the base's variables; a new GPU request (count,
   * fraction or memory) replaces the old one whole, other GPU flags adjust it; another autoscaling
   * metric replaces the old one's target and endpoint (its scale-down delay stays), other autoscaling
   * flags adjust it; the rest replace.
   */
  @SuppressWarnings("unchecked")
  private static Object merge(String field, Object base, Object override) {
    if (field.equals("autoscaling") && base instanceof Map<?, ?> baseScaling) {
      Map<String, Object> scaling = (Map<String, Object>) override;
      Object metric = scaling.get("metric");
      if (metric != null && !metric.equals(baseScaling.get("metric"))) {
        // Another metric: the old one's target and endpoint mean nothing for it; its delay still does.
        Map<String, Object> replaced = new LinkedHashMap<>();
        if (baseScaling.get("scaleDownAfter") != null) {
          replaced.put("scaleDownAfter", baseScaling.get("scaleDownAfter"));
        }
        replaced.putAll(scaling);
        return replaced;
      }
      Map<String, Object> adjusted = new LinkedHashMap<>((Map<String, Object>) baseScaling);
      adjusted.putAll(scaling);
      return adjusted;
    }
    if (field.equals("env") && base instanceof Map<?, ?> baseEnv) {
      Map<String, Object> env = new LinkedHashMap<>((Map<String, Object>) baseEnv);
      env.putAll((Map<String, Object>) override);
      return env;
    }
    if (field.equals("gpu") && base instanceof Map<?, ?> baseGpu) {
      Map<String, Object> gpu = (Map<String, Object>) override;
      boolean newRequest = gpu.containsKey("count") || gpu.containsKey("fraction") || gpu.containsKey("memoryMiB");
      if (newRequest) {
        return gpu;
      }
      Map<String, Object> adjusted = new LinkedHashMap<>((Map<String, Object>) baseGpu);
      adjusted.putAll(gpu);
      return adjusted;
    }
    return override;
  }

  private static void onlyFor(String flag, Object value, boolean applies, String kind) {
    if (value != null && !applies) {
      throw CliException.usage(flag + " applies to " + kind + " only");
    }
  }

  private static void checkQuantity(String flag, String value) {
    if (value == null) {
      return;
    }
    try {
      if (new Quantity(value).getNumericalAmount().signum() < 0) {
        throw new IllegalArgumentException("negative");
      }
    } catch (RuntimeException e) {
      throw CliException.usage(flag + " must be a quantity like 500m, 2 or 8Gi, was '" + value + "'");
    }
  }

  private static void put(Map<String, Object> fields, String field, Object value) {
    if (value != null) {
      fields.put(field, value);
    }
  }

  private static Map<String, Object> asMap(DataSource source) {
    Map<String, Object> map = new LinkedHashMap<>();
    put(map, "name", source.name());
    put(map, "claimName", source.claimName());
    put(map, "mountPath", source.mountPath());
    put(map, "readOnly", source.readOnly());
    return map;
  }

  private static Map<String, Object> asMap(Connection connection) {
    Map<String, Object> map = new LinkedHashMap<>();
    put(map, "name", connection.name());
    put(map, "port", connection.port());
    put(map, "exposure", connection.exposure());
    return map;
  }

  /** {@code NAME:CLAIM:/mount[:ro]}. */
  static final class DataSourceConverter implements CommandLine.ITypeConverter<DataSource> {
    @Override
    public DataSource convert(String value) {
      String[] parts = value.split(":", -1);
      boolean readOnly = parts.length == 4 && parts[3].equals("ro");
      boolean shaped = parts.length == 3 || (parts.length == 4 && (readOnly || parts[3].equals("rw")));
      if (!shaped || parts[0].isBlank() || parts[1].isBlank() || !parts[2].startsWith("/")) {
        throw new CommandLine.TypeConversionException(
            "--pvc must be NAME:CLAIM:/MOUNT or NAME:CLAIM:/MOUNT:ro, was '" + value + "'");
      }
      return new DataSource(parts[0], parts[1], parts[2], readOnly ? Boolean.TRUE : null);
    }
  }

  /** {@code NAME:PORT[:NodePort]}. */
  static final class ConnectionConverter implements CommandLine.ITypeConverter<Connection> {
    @Override
    public Connection convert(String value) {
      String[] parts = value.split(":", -1);
      String problem = "--port must be NAME:PORT or NAME:PORT:NodePort with PORT 1-65535, was '" + value + "'";
      if (parts.length < 2 || parts.length > 3 || parts[0].isBlank()) {
        throw new CommandLine.TypeConversionException(problem);
      }
      int port;
      try {
        port = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException(problem);
      }
      if (port < 1 || port > 65535) {
        throw new CommandLine.TypeConversionException(problem);
      }
      String exposure = null;
      if (parts.length == 3) {
        if (parts[2].equalsIgnoreCase("NodePort")) {
          exposure = "NodePort";
        } else if (parts[2].equalsIgnoreCase("ClusterIP")) {
          exposure = "ClusterIP";
        } else {
          throw new CommandLine.TypeConversionException(problem);
        }
      }
      return new Connection(parts[0], port, exposure);
    }
  }
}
