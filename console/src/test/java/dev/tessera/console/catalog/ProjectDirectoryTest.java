package dev.tessera.console.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.policy.NodePoolResource;
import dev.tessera.api.policy.NodePoolSpec;
import dev.tessera.api.policy.ProjectResource;
import dev.tessera.api.policy.ProjectSpec;
import dev.tessera.api.policy.WorkloadPolicyResource;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.WorkloadKind;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The directory's snapshot from the objects handed to it: pools per project, owners of namespaces, policies. */
class ProjectDirectoryTest {
  private final ProjectDirectory directory = new ProjectDirectory();

  @AfterEach
  void stop() {
    directory.close();
  }

  private ProjectDirectory.Snapshot settled() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    directory.afterPending(done::countDown);
    assertTrue(done.await(10, TimeUnit.SECONDS), "the directory's thread did not get to the end of its queue");
    return directory.now();
  }

  private static ProjectResource project(String name, String... namespaces) {
    return project(name, new ProjectSpec(List.of(namespaces), null, null, null, null, null));
  }

  private static ProjectResource project(String name, ProjectSpec spec) {
    ProjectResource project = new ProjectResource();
    project.setMetadata(new ObjectMetaBuilder().withName(name).build());
    project.setSpec(spec);
    return project;
  }

  private static NodePoolResource pool(String name) {
    NodePoolResource pool = new NodePoolResource();
    pool.setMetadata(new ObjectMetaBuilder().withName(name).build());
    pool.setSpec(new NodePoolSpec(Map.of("pool", name), null, null));
    return pool;
  }

  private static WorkloadPolicyResource policy(String name, String project, Integer maxGpus) {
    WorkloadPolicyResource policy = new WorkloadPolicyResource();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
    policy.setSpec(new WorkloadPolicySpec(null, project, null,
        new WorkloadPolicySpec.Constraints(maxGpus, null, null, null, null, null, null, null, null, null, null)));
    return policy;
  }

  @Test
  void aProjectCanNameThePoolsItsQuotasNameElseEveryPool() throws Exception {
    directory.nodePoolChanged(pool("h100"));
    directory.nodePoolChanged(pool("a100"));
    directory.projectChanged(project("quota", new ProjectSpec(List.of("quota"), "research", List.of(
        new ProjectSpec.Quota("h100", 2.0, null, null), new ProjectSpec.Quota("missing", 1.0, null, null)),
        null, null, null)));
    directory.projectChanged(project("open", "open"));
    directory.projectChanged(project("nothing-real", new ProjectSpec(List.of("nothing-real"), null,
        List.of(new ProjectSpec.Quota("missing", 1.0, null, null)), null, null, null)));

    ProjectDirectory.Snapshot now = settled();
    assertEquals(List.of("default", "a100", "h100"), now.nodePools());
    assertEquals(List.of("nothing-real", "open", "quota"), now.projects().stream().map(ProjectEntry::name).toList());
    assertEquals(new ProjectEntry("quota", List.of("quota"), "research", List.of("h100")), now.projects().get(2));
    assertEquals(List.of("default", "a100", "h100"), now.projects().get(1).nodePools());
    assertEquals(List.of("default", "a100", "h100"), now.projects().get(0).nodePools(),
        "only pools that do not exist are as good as none");

    directory.nodePoolDeleted(pool("h100"));
    assertEquals(List.of("default", "a100"), settled().projects().get(2).nodePools());
  }

  @Test
  void aNamespaceTwoProjectsClaimIsInNeitherAsTheExtenderRejectsBoth() throws Exception {
    directory.projectChanged(project("a", "shared", "a-only"));
    directory.projectChanged(project("b", "shared"));
    directory.policyChanged(policy("a-limits", "a", 2));
    directory.policyChanged(policy("global", null, 8));

    ProjectDirectory.Snapshot now = settled();
    assertEquals("a", now.projectOf("a-only"));
    assertNull(now.projectOf("shared"));
    assertEquals(List.of("a-limits", "global"), now.policy(WorkloadKind.TRAINING, "a-only").policies());
    assertEquals(List.of("global"), now.policy(WorkloadKind.TRAINING, "shared").policies());

    directory.projectDeleted(project("b", "shared"));
    assertEquals("a", settled().projectOf("shared"));
  }

  @Test
  void policiesAreValidatedAsTheControllerDoesAndAnUnchangedObjectChangesNothing() throws Exception {
    directory.policyChanged(policy("one", null, 4));
    directory.policyChanged(policy("two", null, 2)); // the same scope: both are left out
    ProjectDirectory.Snapshot now = settled();
    assertEquals(List.of(), now.policy(WorkloadKind.WORKSPACE, "loose").policies());
    assertTrue(now.policies().problems("two").get(0).contains("also the scope of one"), now.policies().problems()
        .toString());

    directory.policyDeleted(policy("two", null, 2));
    ProjectDirectory.Snapshot after = settled();
    assertEquals(4, after.policy(WorkloadKind.WORKSPACE, "loose").constraints().maxGpus());
    // A resync hands every object over again: the same snapshot stays.
    directory.policyChanged(policy("one", null, 4));
    directory.projectChanged(project("p", "p"));
    ProjectDirectory.Snapshot withProject = settled();
    directory.projectChanged(project("p", "p"));
    assertSame(withProject, settled());
  }
}
