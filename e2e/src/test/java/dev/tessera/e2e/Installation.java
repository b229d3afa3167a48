package dev.tessera.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Tessera installed on the shared {@link ControlPlane} the way deploy/ installs it: the stock
 * kube-scheduler with the shipped {@code tessera-scheduler} profile, running as its
 * ServiceAccount, calling the extender jar, which runs as {@code tessera-extender}; plus
 * {@code fakelet.py} standing in for kubelets. The scheduler and fakelet live as long as the JVM
 * (fakelet is started again only when a test wants the other {@link Kubelets} mode); each test
 * starts its own extender ({@link #startExtender}) on the port the scheduler calls.
 */
final class Installation {
  /** What fakelet.py does with a pod bound to a node. */
  enum Kubelets {
    /** Marks it Running and Ready at once, as a kubelet whose containers start instantly would. */
    START_PODS,
    /**
     * Leaves it Pending ({@code FAKELET_NO_RUN=1}): the test plays the kubelet by writing the pod's
     * status, so a pod stays bound-but-starting as long as the test needs. Deletions are still
     * finished at once in both modes.
     */
    TEST_STARTS_PODS
  }

  private static Installation shared;

  final ControlPlane plane;
  final int extenderPort;
  private final Path extenderKubeconfig;
  private final List<String> shippedArgs;
  private ExtenderProcess extender;
  private int generation;
  private Process fakelet;
  private Kubelets kubelets;

  private Installation(ControlPlane plane) {
    this.plane = plane;
    this.extenderPort = freePort();
    this.extenderKubeconfig = plane.kubeconfigFor("tessera-extender");
    this.shippedArgs = shippedArgs(plane);
    Path schedulerConfig = plane.schedulerConfig(
        "http://127.0.0.1:" + extenderPort, plane.kubeconfigFor("tessera-scheduler"));
    Exec.run(List.of(plane.scripts.resolve("scheduler.sh").toString(), "--config=" + schedulerConfig,
            SchedulerProcess.METRICS_OPEN),
        plane.env(), Duration.ofMinutes(1));
    startFakelet(Kubelets.START_PODS);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (this) {
        fakelet.destroy();
      }
      if (extender != null) {
        extender.kill();
      }
    }, "installation-stop"));
    Workloads.namespace(plane.admin());
  }

  /**
   * The installation of this JVM, with nothing left of earlier tests, no extender running, and
   * fakelet starting bound pods.
   */
  static synchronized Installation fresh() {
    return fresh(Kubelets.START_PODS);
  }

  /** The installation of this JVM, with nothing left of earlier tests, no extender running, and fakelet in this mode. */
  static synchronized Installation fresh(Kubelets kubelets) {
    ControlPlane plane = ControlPlane.shared();
    if (shared == null) {
      shared = new Installation(plane);
    }
    shared.stopExtender();
    plane.reset();
    if (shared.kubelets != kubelets) {
      shared.startFakelet(kubelets);
    }
    return shared;
  }

  /**
   * Starts fakelet.py in this mode, stopping the one running. Nothing waits for its first list:
   * the pods of the test to come do not exist yet, and it handles those it lists like those it
   * watches.
   */
  private synchronized void startFakelet(Kubelets mode) {
    if (fakelet != null) {
      Exec.stop(fakelet, Duration.ofSeconds(5));
    }
    java.util.Map<String, String> env = new java.util.HashMap<>(plane.env());
    if (mode == Kubelets.TEST_STARTS_PODS) {
      env.put("FAKELET_NO_RUN", "1");
    }
    fakelet = Exec.background(
        List.of("python3", plane.scripts.resolve("fakelet.py").toString(),
            plane.stateDir().resolve("admin.kubeconfig").toString()),
        env, plane.work.resolve("logs/fakelet.log"));
    kubelets = mode;
  }

  KubernetesClient admin() {
    return plane.admin();
  }

  /**
   * Starts an extender process (replacing none: stop or kill the previous one first) with the
   * arguments deploy/20-extender.yaml gives it, but for the ports, which are this machine's.
   */
  synchronized ExtenderProcess startExtender(String... extraArgs) {
    if (extender != null && extender.alive()) {
      throw new IllegalStateException("an extender is already running; two would each hand out the same GPUs");
    }
    List<String> args = new java.util.ArrayList<>(shippedArgs);
    args.addAll(List.of(extraArgs));
    extender = ExtenderProcess.start(extenderKubeconfig, extenderPort,
        plane.work.resolve("logs/extender-" + (++generation) + ".log"), args.toArray(String[]::new));
    return extender;
  }

  /**
   * One more extender replica, on a port of its own, with the shipped arguments (leader election
   * among them): the caller routes kube-scheduler to the leader ({@link LeaderProxy}) and kills it.
   */
  synchronized ExtenderProcess startReplica(String... extraArgs) {
    List<String> args = new java.util.ArrayList<>(shippedArgs);
    args.addAll(List.of(extraArgs));
    return ExtenderProcess.start(extenderKubeconfig, freePort(),
        plane.work.resolve("logs/extender-" + (++generation) + ".log"), args.toArray(String[]::new));
  }

  /** The extender container's arguments in deploy/20-extender.yaml that are not about ports or certificates. */
  private static List<String> shippedArgs(ControlPlane plane) {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(plane.deploy.resolve("20-extender.yaml"))) {
      return plane.admin().load(in).items().stream()
          .filter(io.fabric8.kubernetes.api.model.apps.Deployment.class::isInstance)
          .map(io.fabric8.kubernetes.api.model.apps.Deployment.class::cast)
          .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().stream())
          .filter(arg -> !arg.startsWith("--port") && !arg.startsWith("--report-port")
              && !arg.startsWith("--admission-"))
          .toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  synchronized ExtenderProcess extender() {
    return extender;
  }

  /**
   * Stops the extender an earlier test left running, if any, for a test that wants no workload
   * controller acting on what it creates; starts nothing.
   */
  static synchronized void stopExtenderIfStarted() {
    if (shared != null) {
      shared.stopExtender();
    }
  }

  synchronized void stopExtender() {
    if (extender != null) {
      extender.close();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
