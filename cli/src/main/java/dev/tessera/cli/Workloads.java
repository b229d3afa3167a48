package dev.tessera.cli;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The API calls the subcommands share, typed by {@link WorkloadKind} rather than by resource class,
 * so commands stay free of fabric8's generics and "not found" reads the same everywhere.
 */
final class Workloads {
  static final String API_VERSION = "tessera.dev/v1alpha1";
  /** The label the workload controller puts on a workload's pods. */
  static final String WORKLOAD_LABEL = WellKnown.WORKLOAD_LABEL;
  /** The label saying which kind ({@link WorkloadKind#label()}) owns a pod. */
  static final String KIND_LABEL = WellKnown.WORKLOAD_KIND_LABEL;

  private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private Workloads() {}

  /** A workload name must be a DNS label: its pods and services are named after it. */
  static void checkName(String label, String name) {
    if (name == null || name.length() > 63 || !DNS_NAME.matcher(name).matches()) {
      throw CliException.usage(label + " must be a lowercase DNS label (a-z, 0-9 and '-', at most 63"
          + " characters, starting and ending with a letter or digit), was '" + name + "'");
    }
  }

  static WorkloadResource<?> get(KubernetesClient client, WorkloadKind kind, String namespace, String name) {
    return client.resources(Kinds.type(kind)).inNamespace(namespace).withName(name).get();
  }

  /** The workload, or a {@link CliException} saying which one is missing where. */
  static WorkloadResource<?> require(KubernetesClient client, WorkloadKind kind, String namespace, String name) {
    WorkloadResource<?> workload = get(client, kind, namespace, name);
    if (workload == null) {
      throw CliException.failed(kind.label() + " '" + name + "' not found in project '" + namespace + "'");
    }
    return workload;
  }

  /** The workload's pods, by its name and kind labels, sorted by name. */
  static List<Pod> pods(KubernetesClient client, WorkloadKind kind, String namespace, String name) {
    return client.pods().inNamespace(namespace).withLabel(WORKLOAD_LABEL, name).list().getItems().stream()
        .filter(pod -> kind.label().equals(pod.getMetadata().getLabels().get(KIND_LABEL)))
        .sorted(Comparator.comparing(pod -> pod.getMetadata().getName()))
        .toList();
  }

  /**
   * Every workload of a kind in a namespace (null: all namespaces); an empty list where the
   * cluster lacks that kind's CRD, so {@code list} still shows the others.
   */
  static List<? extends WorkloadResource<?>> list(KubernetesClient client, WorkloadKind kind, String namespace) {
    try {
      var resources = client.resources(Kinds.type(kind));
      return namespace == null
          ? resources.inAnyNamespace().list().getItems()
          : resources.inNamespace(namespace).list().getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return List.of();
      }
      throw e;
    }
  }

  /** A typed resource of this kind from a spec given as a map (flags merged over a file or a copy). */
  static WorkloadResource<?> build(KubernetesClient client, WorkloadKind kind, ObjectMeta metadata,
      Map<String, Object> spec) {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("apiVersion", API_VERSION);
    object.put("kind", kind.kind());
    object.put("spec", spec);
    WorkloadResource<?> resource = client.getKubernetesSerialization().convertValue(object, Kinds.type(kind));
    resource.setMetadata(metadata);
    return resource;
  }

  /** The spec as a map without its null fields, to merge flags over. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> specMap(KubernetesClient client, WorkloadResource<?> workload) {
    if (workload.getSpec() == null) {
      return new LinkedHashMap<>();
    }
    return new LinkedHashMap<>(client.getKubernetesSerialization().convertValue(workload.getSpec(), Map.class));
  }

  /** Creates it; a refusal (an admission webhook's, a name taken) ends the command with the server's words. */
  static WorkloadResource<?> create(KubernetesClient client, WorkloadResource<?> workload) {
    try {
      return client.resource(workload).create();
    } catch (KubernetesClientException e) {
      throw refusal(e);
    }
  }

  /**
   * For a write the API server refused as forbidden (403), conflicting (409) or invalid (422): its
   * status message alone, since Tessera's admission webhook puts the broken rule there ("Training
   * t1 is rejected by workload policy ml-limits: ..."); other failures as they are.
   */
  static RuntimeException refusal(KubernetesClientException e) {
    int code = e.getCode();
    if (code != 403 && code != 409 && code != 422) {
      return e;
    }
    return CliException.failed(Tessera.serverMessage(e) + " (HTTP " + code + ")");
  }

  /** {@code spec.stopped} by a JSON merge patch, so nothing else in the spec is touched. */
  static void setStopped(KubernetesClient client, WorkloadKind kind, String namespace, String name, boolean stopped) {
    require(client, kind, namespace, name);
    try {
      client.resources(Kinds.type(kind)).inNamespace(namespace).withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"stopped\":" + stopped + "}}");
    } catch (KubernetesClientException e) {
      throw refusal(e);
    }
  }

  /** Whether there was such a workload to delete. */
  static boolean delete(KubernetesClient client, WorkloadKind kind, String namespace, String name) {
    return !client.resources(Kinds.type(kind)).inNamespace(namespace).withName(name).delete().isEmpty();
  }

  /**
   * Calls {@code onChange} on every change to the workload; null where the server refuses a watch
   * (the caller then polls).
   */
  static Watch watch(KubernetesClient client, WorkloadKind kind, String namespace, String name, Runnable onChange) {
    try {
      return watchTyped(client, Kinds.type(kind), namespace, name, onChange);
    } catch (KubernetesClientException e) {
      return null;
    }
  }

  private static <T extends WorkloadResource<?>> Watch watchTyped(KubernetesClient client, Class<T> type,
      String namespace, String name, Runnable onChange) {
    return client.resources(type).inNamespace(namespace).withName(name).watch(new Watcher<T>() {
      @Override
      public void eventReceived(Action action, T resource) {
        onChange.run();
      }

      @Override
      public void onClose(WatcherException cause) {
        onChange.run();
      }
    });
  }
}
