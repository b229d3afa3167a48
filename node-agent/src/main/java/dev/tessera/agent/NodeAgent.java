package dev.tessera.agent;

import dev.tessera.agent.enforce.ComputeShareState;
import dev.tessera.agent.gpu.GpuBackend;
import dev.tessera.agent.metrics.AgentMetrics;
import dev.tessera.agent.metrics.DcgmMetrics;
import dev.tessera.agent.metrics.MetricsServer;
import dev.tessera.agent.metrics.SnapshotGauges;
import dev.tessera.agent.report.ExponentialBackoff;
import dev.tessera.agent.report.LoggingReportEvents;
import dev.tessera.agent.report.ReportBuilder;
import dev.tessera.agent.report.ReportClient;
import dev.tessera.agent.report.ReportSettings;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running agent, wired by hand in one place: GPU backend → sampler → metrics and report
 * stream, and the device plugin beside them.
 *
 * <p>Threads: one samples, one serves HTTP, one runs the report stream, one is the device plugin's
 * scheduler, plus gRPC's event loop. Few and idle most of the time: the agent runs on every GPU
 * node and must stay well under 1 % of a core.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

  /** Closed in reverse order of opening. */
  private final List<AutoCloseable> opened;
  private final Sampler sampler;
  private final MetricsServer metrics;

  private NodeAgent(List<AutoCloseable> opened, Sampler sampler, MetricsServer metrics) {
    this.opened = opened;
    this.sampler = sampler;
    this.metrics = metrics;
  }

  /**
   * Takes a first sample, then serves metrics, opens the report stream and starts the device
   * plugin. On failure, whatever was started is stopped again before the exception leaves.
   *
   * @param gpus owned by the caller, closed after the agent
   */
  public static NodeAgent start(
      AgentConfig config,
      GpuBackend gpus,
      ContainerUsageSource containers,
      DevicePluginStarter devicePlugin,
      Clock clock)
      throws Exception {
    return start(config, gpus, containers, devicePlugin, NodeEvents.NONE, clock);
  }

  /**
   * As above, telling {@code nodeEvents} when a GPU turns unhealthy, recovers or reports an XID
   * (the log says so either way).
   */
  public static NodeAgent start(
      AgentConfig config,
      GpuBackend gpus,
      ContainerUsageSource containers,
      DevicePluginStarter devicePlugin,
      NodeEvents nodeEvents,
      Clock clock)
      throws Exception {
    return start(config, gpus, containers, () -> ComputeShareState.NONE, devicePlugin, nodeEvents, clock);
  }

  /**
   * As above, reporting the compute scheduler's latest decisions (which the device plugin's side of
   * the agent makes) to the extender.
   */
  public static NodeAgent start(
      AgentConfig config,
      GpuBackend gpus,
      ContainerUsageSource containers,
      Supplier<ComputeShareState> computeShares,
      DevicePluginStarter devicePlugin,
      NodeEvents nodeEvents,
      Clock clock)
      throws Exception {
    Instant startedAt = clock.instant();
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      ScheduledExecutorService sampling = opened(opened, singleThread("tessera-sampler"));
      PrometheusMeterRegistry registry = AgentMetrics.newRegistry();
      opened.add(registry::close);
      SnapshotGauges gauges = AgentMetrics.register(registry, config.nodeName(), NodeSnapshot.empty(clock.instant()));
      Sampler sampler =
          new Sampler(
              gpus, containers, clock, sampling, config.samplePeriod(),
              List.of(gauges, new GpuHealthWatch(nodeEvents)));
      opened.add(sampler);
      sampler.start();

      DcgmMetrics dcgm = new DcgmMetrics(config.nodeName(), gpus.driverVersion());
      MetricsServer metrics =
          MetricsServer.start(
              config.metricsPort(),
              () -> AgentMetrics.scrape(registry, dcgm, sampler.latest()),
              new SamplerHealth(sampler, clock));
      opened.add(metrics);

      if (config.extender().isPresent()) {
        HostPort target = config.extender().get();
        ScheduledExecutorService reporting = opened(opened, singleThread("tessera-report"));
        // directExecutor: the stream's callbacks only hand work to the report thread, so they may
        // run on gRPC's event loop, and no callback thread pool is created.
        ManagedChannel channel =
            Grpc.newChannelBuilderForAddress(target.host(), target.port(), InsecureChannelCredentials.create())
                .directExecutor()
                .build();
        // Graceful first: the report stream's half-close must reach the extender before the
        // channel goes, or it sees a cancelled call instead of a clean end.
        opened.add(() -> {
          if (!channel.shutdown().awaitTermination(2, TimeUnit.SECONDS)) {
            channel.shutdownNow().awaitTermination(3, TimeUnit.SECONDS);
          }
        });
        ReportBuilder reports =
            new ReportBuilder(config.nodeName(), AgentVersion.current(), config.swapHostBytes(), computeShares);
        ReportClient client =
            new ReportClient(
                channel,
                target.toString(),
                () -> reports.build(sampler.latest()),
                ReportSettings.withInterval(config.reportInterval()),
                ExponentialBackoff.defaults(),
                new LoggingReportEvents(),
                clock,
                reporting);
        opened.add(client);
        AgentMetrics.registerReportFreshness(registry, client::acceptedSampleTime, startedAt);
        client.start();
      } else {
        log.info("no --extender: not reporting, serving metrics only");
      }

      ScheduledExecutorService pluginThread = opened(opened, singleThread("tessera-device-plugin"));
      opened.add(devicePlugin.start(gpus, pluginThread, registry));

      log.info(
          "node agent for {} on {}: {} GPU(s), sampling every {} ms, metrics on :{}",
          config.nodeName(), gpus.description(), sampler.latest().gpus().size(),
          config.samplePeriod().toMillis(), metrics.port());
      return new NodeAgent(opened, sampler, metrics);
    } catch (Exception | Error e) {
      closeAll(opened);
      throw e;
    }
  }

  public int metricsPort() {
    return metrics.port();
  }

  public NodeSnapshot latest() {
    return sampler.latest();
  }

  @Override
  public void close() {
    closeAll(opened);
  }

  private static void closeAll(List<AutoCloseable> opened) {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.warn("stopping {} failed", opened.get(i), e);
      }
    }
    opened.clear();
  }

  private static ScheduledExecutorService opened(List<AutoCloseable> opened, ScheduledExecutorService executor) {
    opened.add(() -> shutdown(executor));
    return executor;
  }

  private static void shutdown(ExecutorService executor) throws InterruptedException {
    executor.shutdownNow();
    executor.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static ScheduledExecutorService singleThread(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }
}
