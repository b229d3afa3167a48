package dev.tessera.cli;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Comparator;
import java.util.List;

/**
 * Turns what {@code -p} (or the kubeconfig context) names into the namespace a command works in,
 * and refuses a namespace that is no Tessera project's: the scheduler would treat its pods as no
 * project's, so a workload there would never get quota, and the user would only find out later.
 * A {@code tessera.dev} Project is cluster-scoped and lists its namespaces; {@code -p} may name
 * the project or one of its namespaces.
 */
final class Projects {
  /** One Project as the CLI needs it: its name and the namespaces it claims, in spec order. */
  record Known(String name, List<String> namespaces) {
    boolean claims(String namespace) {
      return namespaces.contains(namespace);
    }
  }

  private Projects() {}

  /**
   * The namespace {@code wanted} stands for: a project's name gives its namespace (the one named
   * like it, else its only one), a namespace some project claims gives itself.
   *
   * @param source where {@code wanted} came from, as errors name it ("-p ml")
   */
  static String resolve(KubernetesClient client, String wanted, String source) {
    List<Known> known = list(client);
    for (Known project : known) {
      if (project.name().equals(wanted)) {
        if (project.claims(wanted)) {
          return wanted;
        }
        if (project.namespaces().size() == 1) {
          return project.namespaces().get(0);
        }
        if (project.namespaces().isEmpty()) {
          throw CliException.usage(source + ": project '" + wanted + "' has no namespaces (spec.namespaces)");
        }
        throw CliException.usage(source + ": project '" + wanted + "' has namespaces "
            + String.join(", ", project.namespaces()) + "; pass -p with one of them");
      }
    }
    for (Known project : known) {
      if (project.claims(wanted)) {
        return wanted;
      }
    }
    throw CliException.usage(source + " is no Tessera project's name or namespace; known projects: "
        + (known.isEmpty() ? "none (create a tessera.dev Project first)" : describe(known)));
  }

  /** Every Project, sorted by name; a clear failure where the cluster has no Projects at all. */
  static List<Known> list(KubernetesClient client) {
    try {
      return client.resources(ProjectResource.class).list().getItems().stream()
          .map(Projects::known)
          .sorted(Comparator.comparing(Known::name))
          .toList();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw CliException.failed("the cluster has no tessera.dev Projects (is Tessera installed?), so the"
            + " project cannot be checked");
      }
      if (e.getCode() == 403) {
        throw CliException.failed("you may not list tessera.dev Projects, so the project cannot be checked: "
            + Tessera.apiError(e));
      }
      throw e;
    }
  }

  private static Known known(ProjectResource resource) {
    ProjectSpec spec = resource.getSpec();
    List<String> namespaces = spec == null || spec.namespaces() == null ? List.of() : List.copyOf(spec.namespaces());
    return new Known(resource.getMetadata().getName(), namespaces);
  }

  /** "ml (ml), vision (cv, cv-dev)": each project with its namespaces. */
  static String describe(List<Known> known) {
    return String.join(", ", known.stream()
        .map(p -> p.name() + " (" + (p.namespaces().isEmpty() ? "no namespaces" : String.join(", ", p.namespaces()))
            + ")")
        .toList());
  }
}
