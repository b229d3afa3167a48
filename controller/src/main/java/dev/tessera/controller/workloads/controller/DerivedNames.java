package dev.tessera.controller.workloads.controller;

import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the API server would refuse in the objects a workload owns, found before any is created: a
 * workload accepted by the admission webhook (which asks this) always gets its pods, Services and
 * PodGroup. The limits are the API server's: label values, pod hostnames and Service names are DNS
 * labels of at most 63 characters (a Service's must start with a letter), a container port's name
 * is an IANA service name of at most 15, and a volume's name is a DNS label.
 */
public final class DerivedNames {
  static final int MAX_LABEL = 63;
  private static final int MAX_PORT_NAME = 15;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");

  private DerivedNames() {}

  /**
   * Why the objects derived from this workload could not be created, one sentence each; empty when
   * they all can.
   *
   * @param workers a distributed training's workers besides the master; ignored for other kinds
   */
  public static List<String> problems(WorkloadKind kind, String name, WorkloadSpec spec, Integer workers) {
    List<String> problems = new ArrayList<>();
    // The name is every object's tessera.dev/workload label value.
    if (name.length() > MAX_LABEL) {
      problems.add("the name is " + name.length() + " characters long; a workload's name may have at most "
          + MAX_LABEL + " (it is the value of its objects' " + Blueprint.WORKLOAD_LABEL + " label)");
      return problems;
    }
    if (kind == WorkloadKind.DISTRIBUTED_TRAINING) {
      int lastWorker = workers == null || workers < 1 ? 0 : workers - 1;
      String longest = name + "-worker-" + lastWorker;
      if (longest.length() > MAX_LABEL) {
        problems.add("pod " + longest + " would need a hostname of " + longest.length() + " characters (at most "
            + MAX_LABEL + "); shorten the name to at most " + (MAX_LABEL - longest.length() + name.length())
            + " characters");
      }
      if (!DNS_1035_LABEL.matcher(name).matches()) {
        problems.add("the name must start with a letter: it names the headless Service its pods find each other"
            + " through");
      }
    }
    if (spec == null) {
      return problems;
    }
    List<WorkloadSpec.Connection> connections = spec.connections() == null ? List.of() : spec.connections();
    if (!connections.isEmpty()) {
      String service = name + Blueprint.CONNECT_SUFFIX;
      if (service.length() > MAX_LABEL) {
        problems.add("Service " + service + " for its connections would have " + service.length()
            + " characters (at most " + MAX_LABEL + "); shorten the name to at most "
            + (MAX_LABEL - Blueprint.CONNECT_SUFFIX.length()) + " characters");
      }
      if (!DNS_1035_LABEL.matcher(name).matches()) {
        problems.add("the name must start with a letter: it names the Service for its connections");
      }
    }
    Set<String> ports = new HashSet<>();
    for (int i = 0; i < connections.size(); i++) {
      WorkloadSpec.Connection connection = connections.get(i);
      String where = "spec.connections[" + i + "]";
      if (connection == null) {
        problems.add(where + " is empty");
        continue;
      }
      if (connection.name() == null || connection.name().isEmpty()) {
        problems.add(where + ".name is required: the Service names each port");
      } else if (connection.name().length() > MAX_PORT_NAME || !DNS_LABEL.matcher(connection.name()).matches()
          || connection.name().contains("--") || !connection.name().matches(".*[a-z].*")) {
        problems.add(where + ".name '" + connection.name() + "' is not a port name: at most " + MAX_PORT_NAME
            + " lowercase letters, digits and single '-', with a letter, e.g. http or jupyter");
      } else if (!ports.add(connection.name())) {
        problems.add(where + ".name '" + connection.name() + "' is used twice");
      }
      if (connection.port() == null || connection.port() < 1 || connection.port() > 65535) {
        problems.add(where + ".port must be 1 to 65535, was " + connection.port());
      }
      if (connection.exposure() != null && !connection.exposure().equals("ClusterIP")
          && !connection.exposure().equals("NodePort")) {
        problems.add(where + ".exposure must be ClusterIP or NodePort, was " + connection.exposure());
      }
    }
    List<WorkloadSpec.DataSource> sources = spec.dataSources() == null ? List.of() : spec.dataSources();
    Set<String> volumes = new HashSet<>();
    for (int i = 0; i < sources.size(); i++) {
      WorkloadSpec.DataSource source = sources.get(i);
      String where = "spec.dataSources[" + i + "]";
      if (source == null) {
        problems.add(where + " is empty");
        continue;
      }
      if (source.name() == null || source.name().isEmpty()) {
        problems.add(where + ".name is required: it names the pod's volume");
      } else if (source.name().length() > MAX_LABEL || !DNS_LABEL.matcher(source.name()).matches()) {
        problems.add(where + ".name '" + source.name() + "' is not a volume name: at most " + MAX_LABEL
            + " lowercase letters, digits and '-', starting and ending with a letter or digit");
      } else if (!volumes.add(source.name())) {
        problems.add(where + ".name '" + source.name() + "' is used twice");
      }
      if (source.claimName() == null || source.claimName().isEmpty()) {
        problems.add(where + ".claimName is required: the PersistentVolumeClaim to mount");
      }
      if (source.mountPath() == null || !source.mountPath().startsWith("/")) {
        problems.add(where + ".mountPath must be an absolute path, was " + source.mountPath());
      }
    }
    return problems;
  }
}
