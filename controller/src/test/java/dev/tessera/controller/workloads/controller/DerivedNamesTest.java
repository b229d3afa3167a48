package dev.tessera.controller.workloads.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class DerivedNamesTest {
  private static WorkloadSpec spec(List<WorkloadSpec.Connection> connections, List<WorkloadSpec.DataSource> data) {
    return new WorkloadSpec("img", null, null, null, null, null, null, null, null, null, null, null, data,
        connections, null);
  }

  private static String name(int length) {
    return "w" + "x".repeat(length - 1);
  }

  @Test
  void aWorkloadWhoseObjectsAllFitHasNoProblems() {
    assertEquals(List.of(), DerivedNames.problems(WorkloadKind.WORKSPACE, name(55),
        spec(List.of(new WorkloadSpec.Connection("jupyter", 8888, "NodePort")),
            List.of(new WorkloadSpec.DataSource("data", "claim", "/data", true))), null));
    assertEquals(List.of(), DerivedNames.problems(WorkloadKind.DISTRIBUTED_TRAINING, name(54), spec(null, null), 9));
  }

  @Test
  void namesTooLongForWhatTheyNameAreRefusedWithTheLimit() {
    List<String> connect = DerivedNames.problems(WorkloadKind.WORKSPACE, name(63),
        spec(List.of(new WorkloadSpec.Connection("http", 80, null)), null), null);
    assertEquals(List.of("Service " + name(63) + "-connect for its connections would have 71 characters (at most 63);"
        + " shorten the name to at most 55 characters"), connect);
    List<String> hostname = DerivedNames.problems(WorkloadKind.DISTRIBUTED_TRAINING, name(63), spec(null, null), 3);
    assertTrue(hostname.get(0).startsWith("pod " + name(63) + "-worker-2 would need a hostname of 72 characters"),
        hostname.toString());
    assertTrue(hostname.get(0).endsWith("shorten the name to at most 54 characters"), hostname.toString());
    assertTrue(DerivedNames.problems(WorkloadKind.TRAINING, name(64), null, null).get(0)
        .contains("may have at most 63"));
  }

  @Test
  void connectionsAndDataSourcesNeedNamesTheApiServerTakes() {
    List<String> problems = DerivedNames.problems(WorkloadKind.WORKSPACE, "ws",
        spec(List.of(new WorkloadSpec.Connection(null, 80, null), new WorkloadSpec.Connection(null, 81, null),
                new WorkloadSpec.Connection("a-very-long-port-name", 82, null), new WorkloadSpec.Connection("http", 0, "Ingress")),
            List.of(new WorkloadSpec.DataSource(null, "claim", "/data", null),
                new WorkloadSpec.DataSource("data", null, "data", null))), null);
    assertEquals(List.of(
        "spec.connections[0].name is required: the Service names each port",
        "spec.connections[1].name is required: the Service names each port",
        "spec.connections[2].name 'a-very-long-port-name' is not a port name: at most 15 lowercase letters, digits"
            + " and single '-', with a letter, e.g. http or jupyter",
        "spec.connections[3].port must be 1 to 65535, was 0",
        "spec.connections[3].exposure must be ClusterIP or NodePort, was Ingress",
        "spec.dataSources[0].name is required: it names the pod's volume",
        "spec.dataSources[1].claimName is required: the PersistentVolumeClaim to mount",
        "spec.dataSources[1].mountPath must be an absolute path, was data"), problems);
  }

  @Test
  void aNameStartingWithADigitCannotNameAService() {
    assertTrue(DerivedNames.problems(WorkloadKind.WORKSPACE, "1ws",
        spec(List.of(new WorkloadSpec.Connection("http", 80, null)), null), null).get(0)
        .startsWith("the name must start with a letter"));
    assertEquals(List.of(), DerivedNames.problems(WorkloadKind.WORKSPACE, "1ws", spec(null, null), null));
  }
}
