package dev.tessera.cli;

import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** Tessera Projects in the test's API server, since every command that takes -p checks them. */
final class TestProjects {
  private TestProjects() {}

  /** One project per name, each claiming the namespace of its own name (as the demo's do). */
  static void create(KubernetesClient client, String... names) {
    for (String name : names) {
      create(client, name, List.of(name));
    }
  }

  static void create(KubernetesClient client, String name, List<String> namespaces) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(new ProjectSpec(namespaces, null, List.of(), null, true, null));
    client.resource(project).create();
  }
}
