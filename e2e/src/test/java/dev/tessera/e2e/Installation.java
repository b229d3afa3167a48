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
 * {@code fakelet.py} standing in for kubelets. The scheduler and fakelet live as long as the JVM;
 * each test starts its own extender ({@link #startExtender}) on the port the scheduler calls.
 */
final class Installation {
  private static Installation shared;

  final ControlPlane plane;
  final int extenderPort;
  private final Path extenderKubeconfig;
  private final List<String> shippedArgs;
  private ExtenderProcess extender;
  private int generation;

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
    Process fakelet = Exec.background(
        List.of("python3", plane.scripts.resolve("fakelet.py").toString(),
            plane.stateDir().resolve("admin.kubeconfig").toString()),
        plane.env(), plane.work.resolve("logs/fakelet.log"));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      fakelet.destroy();
      if (extender != null) {
        extender.kill();
      }
    }, "installation-stop"));
    Workloads.namespace(plane.admin());
  }

  /** The installation of this JVM, with nothing left of earlier tests and no extender running. */
  static synchronized Installation fresh() {
    ControlPlane plane = ControlPlane.shared();
    if (shared == null) {
      shared = new Installation(plane);
    }
    shared.stopExtender();
    plane.reset();
    return shared;
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
