package dev.tessera.extender.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.AssignmentCodec;
import dev.tessera.api.assignment.GpuAssignment;
import dev.tessera.api.assignment.GpuShare;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.model.GpuRequest;
import dev.tessera.extender.model.PlacementStrategy;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.scheduling.NodeState;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.testing.MutableClock;
import dev.tessera.extender.testing.Nodes;
import dev.tessera.proto.agent.v1.ComputeShares;
import dev.tessera.proto.agent.v1.ContainerUsage;
import dev.tessera.proto.agent.v1.Gpu;
import dev.tessera.proto.agent.v1.NodeReport;
import dev.tessera.proto.agent.v1.NodeReportsGrpc;
import dev.tessera.proto.agent.v1.ReportAck;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Agents' reports over real gRPC on loopback: what placement then sees, what is refused and why,
 * and how a silent agent's data goes stale.
 */
class NodeReportsTest {
  private static final long MIB = 1024L * 1024;
  private static final long H100_MIB = 81559;

  private final MutableClock clock = MutableClock.atEpochOfTests();
  private final ClusterCache cache =
      new ClusterCache(clock, Duration.ofSeconds(30), new Placement(PlacementStrategy.BINPACK));
  private final ReportConfig config = new ReportConfig(0, Duration.ofSeconds(5), Duration.ofSeconds(30));
  private final AgentReports reports = new AgentReports(cache, clock, config.staleAfter());
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final GpuMemoryMetrics gpuMemory = new GpuMemoryMetrics(registry, cache::snapshot, reports);
  private NodeReportServer server;
  private ManagedChannel channel;
  private final LinkedBlockingQueue<ReportAck> acks = new LinkedBlockingQueue<>();
  private StreamObserver<NodeReport> stream;

  @BeforeEach
  void start() {
    // The node as its labels describe it: 4 GPUs, no UUIDs, a guessed memory size.
    cache.upsertNode(Nodes.node("gpu-1").gpus(4).memoryMiB(80000).noUuids().build());
    server = new NodeReportServer(config, reports, registry).start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    stream =
        NodeReportsGrpc.newStub(channel)
            .report(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ReportAck ack) {
                    acks.add(ack);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
  }

  @AfterEach
  void stop() throws InterruptedException {
    stream.onCompleted();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private ReportAck send(NodeReport report) throws InterruptedException {
    stream.onNext(report);
    ReportAck ack = acks.poll(10, TimeUnit.SECONDS);
    assertNotNull(ack, "no acknowledgement within 10 s");
    return ack;
  }

  /** gpu-1 with 4 H100s, all healthy and idle, as an agent would report it. */
  private static NodeReport.Builder report() {
    NodeReport.Builder report = NodeReport.newBuilder().setNodeName("gpu-1").setAgentVersion("test");
    for (int i = 0; i < 4; i++) {
      report.addGpus(gpu(i, 0));
    }
    return report;
  }

  private static Gpu gpu(int index, long usedMiB) {
    return Gpu.newBuilder()
        .setIndex(index)
        .setUuid("GPU-h100-" + index)
        .setModel("NVIDIA H100 80GB HBM3")
        .setMemoryTotalBytes(H100_MIB * MIB)
        .setMemoryUsedBytes(usedMiB * MIB)
        .setHealthy(true)
        .build();
  }

  private static NodeReport with(UnaryOperator<NodeReport.Builder> change) {
    return change.apply(report()).build();
  }

  @Test
  void aReportReplacesTheLabelledInventoryAndItsUuidsReachTheAssignment() throws Exception {
    ReportAck ack = send(report().build());

    assertTrue(ack.getAccepted(), ack.getMessage());
    assertEquals(5, ack.getReportInterval().getSeconds());
    assertEquals(30, ack.getStaleAfter().getSeconds());
    NodeState node = cache.snapshot().node("gpu-1");
    assertEquals(H100_MIB, node.gpu(0).memoryMiB());
    assertEquals("NVIDIA H100 80GB HBM3", node.gpu(3).model());
    ClusterCache.AssumeResult assumed =
        cache.assume(new PodKey("ml", "p", "uid-p"), "gpu-1", GpuRequest.whole(1));
    GpuAssignment assignment = ((ClusterCache.AssumeResult.Assumed) assumed).assignment();
    assertEquals("GPU-h100-0", assignment.shares().get(0).uuid());
    assertEquals(1, reports.reporting());
  }

  @Test
  void measuredUseRefusesAFractionTheLedgerAloneWouldAllow() throws Exception {
    // Something outside the ledger holds 60 GiB on every GPU: half a GPU no longer fits anywhere.
    send(with(r -> {
      r.clearGpus();
      for (int i = 0; i < 4; i++) {
        r.addGpus(gpu(i, 61440));
      }
      return r;
    }));
    Placement placement = cache.placement();
    NodeState node = cache.snapshot().node("gpu-1");

    assertFalse(placement.fits(node, GpuRequest.fraction(0.5, 1)));
    assertEquals(
        "needs 0.50 of one GPU; largest free is 0.25 on GPU 0",
        placement.check(node, GpuRequest.fraction(0.5, 1)).reason());
    assertTrue(placement.fits(node, GpuRequest.fraction(0.2, 1)));
  }

  @Test
  void anUnhealthyGpuTakesNoNewPod() throws Exception {
    send(with(r -> r.setGpus(2, gpu(2, 0).toBuilder().setHealthy(false).setHealthReason("GPU is lost"))));
    Placement placement = cache.placement();
    NodeState node = cache.snapshot().node("gpu-1");

    assertEquals(3, node.freeWholeGpus());
    assertFalse(placement.fits(node, GpuRequest.whole(4)));
    assertEquals(
        "needs 4 whole GPUs; 3 of 4 free (0 held whole, 0 shared by fractions, 1 unhealthy)",
        placement.check(node, GpuRequest.whole(4)).reason());
    GpuAssignment three = placement.pick(node, GpuRequest.whole(3));
    assertTrue(three.shares().stream().noneMatch(share -> share.index() == 2), three.toString());
  }

  @Test
  void aGpuNvmlRefusedIsListedUnnamedAndUnhealthy() throws Exception {
    ReportAck ack = send(with(r -> r.setGpus(1, Gpu.newBuilder().setIndex(1).setHealthy(false)
        .setHealthReason("NVML: no permission"))));

    assertTrue(ack.getAccepted(), ack.getMessage());
    NodeState node = cache.snapshot().node("gpu-1");
    assertNull(node.gpu(1).uuid());
    assertFalse(node.healthy(1));
    assertEquals(3, node.freeWholeGpus());
  }

  @Test
  void badReportsAreRefusedWithTheReasonAndChangeNothing() throws Exception {
    NodeState before = cache.snapshot().node("gpu-1");
    String[] reasons = {
      "node_name is empty",
      "gpus[1] has index 2",
      "gpus[1] repeats uuid GPU-h100-0",
      "gpus[0] uses 90000 MiB of 81559 MiB",
      "gpus[3] is unhealthy without a health_reason",
      "gpus[2] is 140% busy; at most 100 makes sense",
      "node gpu-9 is not known to the API server",
      "containers[0] requests 2097152 bytes, above its limit of 1048576; a request is at most the limit",
      "containers[0] has memory_used_bytes 18446744073709551615; more than any GPU has",
    };
    NodeReport[] bad = {
      with(r -> r.setNodeName("")),
      with(r -> r.setGpus(1, gpu(2, 0))),
      with(r -> r.setGpus(1, gpu(1, 0).toBuilder().setUuid("GPU-h100-0"))),
      with(r -> r.setGpus(0, gpu(0, 90000))),
      with(r -> r.setGpus(3, gpu(3, 0).toBuilder().setHealthy(false))),
      with(r -> r.setGpus(2, gpu(2, 0).toBuilder().setUtilizationPercent(140))),
      with(r -> r.setNodeName("gpu-9")),
      with(r -> r.addContainers(container("p", 0, 0, 1, 2))),
      with(r -> r.addContainers(container("p", 0, 0, 1, 1).toBuilder().setMemoryUsedBytes(-1))),
    };
    for (int i = 0; i < bad.length; i++) {
      ReportAck ack = send(bad[i]);
      assertFalse(ack.getAccepted(), reasons[i]);
      assertTrue(ack.getMessage().startsWith(reasons[i]), ack.getMessage());
    }
    assertSame(before, cache.snapshot().node("gpu-1"), "the cache is untouched");
    assertEquals(0, reports.reporting());
    assertEquals(bad.length, registry.counter(NodeReportService.REPORTS, "outcome", "rejected").count());

    assertTrue(send(report().build()).getAccepted(), "the stream still works after bad reports");
  }

  /** The compute-share state of a GPU as the agent's scheduler reports it. */
  private static ComputeShares shares(int guaranteed, int lent, int idle, int tenants) {
    return ComputeShares.newBuilder()
        .setGuaranteedPercent(guaranteed).setLentPercent(lent).setIdlePercent(idle).setTenants(tenants).build();
  }

  @Test
  void aGpuWhoseReportedSharesAreAllGuaranteedRefusesAPacedPodEvenWithMemoryFree() throws Exception {
    // Every GPU: 8 GiB in use by paced tenants guaranteed 100% of its compute between them.
    ReportAck ack = send(with(r -> {
      r.clearGpus();
      for (int i = 0; i < 4; i++) {
        r.addGpus(gpu(i, 8192).toBuilder().setComputeShares(shares(100, 0, 0, 2)));
      }
      return r;
    }));
    assertTrue(ack.getAccepted(), ack.getMessage());
    Placement placement = cache.placement();
    NodeState node = cache.snapshot().node("gpu-1");

    assertEquals(100, node.computeGuaranteed(0));
    assertEquals("needs 0.25 of one GPU; GPU 0 has the memory but not the compute: its paced pods are guaranteed"
        + " 100% of it and this pod needs 25% (set tessera.dev/compute-share lower, or \"none\" to run unpaced)",
        placement.check(node, GpuRequest.fraction(0.25, 1)).reason());
    assertTrue(placement.fits(node, GpuRequest.fraction(0.25, 1).withComputeShare(dev.tessera.api.assignment.ComputeShares.NOT_PACED)),
        "an unpaced pod takes no share");

    // The agent's tenants leave: the next report frees the compute.
    send(with(r -> {
      r.clearGpus();
      for (int i = 0; i < 4; i++) {
        r.addGpus(gpu(i, 0).toBuilder().setComputeShares(shares(0, 0, 100, 0)));
      }
      return r;
    }));
    assertTrue(placement.fits(cache.snapshot().node("gpu-1"), GpuRequest.fraction(0.25, 1)));
  }

  @Test
  void aSwapNodesGpusTakeASwapPodBeyondTheirMemoryAndTellItSo() throws Exception {
    // 60 GiB in use on every GPU; the node lends 32 GiB of host memory to swap.
    send(with(r -> {
      r.clearGpus();
      for (int i = 0; i < 4; i++) {
        r.addGpus(gpu(i, 61440));
      }
      return r.setSwapHostBytes(32L << 30);
    }));
    Placement placement = cache.placement();
    GpuRequest forty = GpuRequest.memory(40960, 1);

    assertFalse(placement.fits(cache.snapshot().node("gpu-1"), forty), "without opting in: 20119 MiB free at most");
    GpuAssignment placed = assume("swapper", forty.withSwap(true));

    assertTrue(placed.onSwap());
    assertEquals(40960 - (H100_MIB - 61440), placed.shares().get(0).swapMiB());
    String annotation = AssignmentCodec.encode(placed);
    assertTrue(annotation.contains("\"swapMiB\":20841"), annotation);
    assertEquals((32L << 10) - 20841, cache.snapshot().node("gpu-1").swapRoomMiB(), "what is left for the others");

    // The agent falls silent: no report, no swap to place on.
    clock.advance(Duration.ofSeconds(30));
    reports.expireStale();
    assertEquals(0, cache.snapshot().node("gpu-1").swapRoomMiB());
  }

  @Test
  void reportedComputeSharesAreCheckedAndShownBesideTheLedger() throws Exception {
    ReportAck bad = send(with(r -> r.setGpus(0, gpu(0, 0).toBuilder().setComputeShares(shares(50, 150, 0, 1)))));
    assertFalse(bad.getAccepted());
    assertEquals("gpus[0].compute_shares says 150% is lent and 0% idle; each is at most 100%", bad.getMessage());
    ReportAck tooMuch = send(with(r -> r.setGpus(0, gpu(0, 0).toBuilder().setComputeShares(shares(250, 0, 0, 2)))));
    assertFalse(tooMuch.getAccepted());
    assertTrue(tooMuch.getMessage().startsWith("gpus[0].compute_shares says 2 paced tenant(s) are guaranteed 250%"),
        tooMuch.getMessage());

    send(report().build());
    assume("steady", GpuRequest.fraction(0.25, 1)); // on GPU 0
    send(with(r -> r.setGpus(0, gpu(0, 20000).toBuilder().setComputeShares(shares(25, 40, 35, 1)))));
    gpuMemory.update();

    assertEquals(25.0, scraped(onGpu("tessera_gpu_compute_share_guaranteed_percent", 0)));
    assertEquals(40.0, scraped(onGpu("tessera_gpu_compute_share_lent_percent", 0)));
    assertEquals(35.0, scraped(onGpu("tessera_gpu_compute_share_idle_percent", 0)));
  }

  /** Pod {@code name}'s container on GPU {@code gpu}: used, limit and request in MiB. */
  private static ContainerUsage container(String name, int gpu, long usedMiB, long limitMiB, long requestMiB) {
    return ContainerUsage.newBuilder()
        .setNamespace("ml")
        .setPod(name)
        .setPodUid("uid-" + name)
        .setContainer("main")
        .setGpuUuid("GPU-h100-" + gpu)
        .setMemoryUsedBytes(usedMiB * MIB)
        .setMemoryLimitBytes(limitMiB * MIB)
        .setMemoryRequestBytes(requestMiB * MIB)
        .build();
  }

  private GpuAssignment assume(String name, GpuRequest request) {
    ClusterCache.AssumeResult result = cache.assume(new PodKey("ml", name, "uid-" + name), "gpu-1", request);
    return ((ClusterCache.AssumeResult.Assumed) result).assignment();
  }

  /** The value of one series in the Prometheus scrape; null when it is not there. */
  private Double scraped(String series) {
    for (String line : registry.scrape().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return null;
  }

  private static String onGpu(String metric, int gpu) {
    return metric + "{gpu=\"" + gpu + "\",node=\"gpu-1\"}";
  }

  @Test
  void loansInAReportAreToldFromRequestsAndShownBesideTheLedger() throws Exception {
    send(report().build()); // the agent's inventory first: 4 H100s of 81559 MiB
    GpuShare bursty = assume("bursty", GpuRequest.fraction(0.5, 1).withFractionLimit(0.9)).shares().get(0);
    GpuShare steady = assume("steady", GpuRequest.fraction(0.25, 1)).shares().get(0);
    assertEquals(List.of(0, 0), List.of(bursty.index(), steady.index()), "bin-packed onto GPU 0");
    assertEquals(40779, bursty.memoryMiB());
    assertEquals(73403, bursty.limitMiB());
    assertEquals(20389, steady.memoryMiB());

    // bursty uses 60000 MiB, 19221 above its request; steady 10000 of its 20389.
    ReportAck ack = send(with(r -> r
        .setGpus(0, gpu(0, 70000))
        .addContainers(container("bursty", 0, 60000, 73403, 40779))
        .addContainers(container("steady", 0, 10000, 20389, 20389))));
    assertTrue(ack.getAccepted(), ack.getMessage());
    gpuMemory.update();

    assertEquals((40779 + 20389) * MIB, scraped(onGpu("tessera_gpu_memory_requested_bytes", 0)));
    assertEquals((73403 + 20389) * MIB, scraped(onGpu("tessera_gpu_memory_limit_bytes", 0)));
    assertEquals(19221 * MIB, scraped(onGpu("tessera_gpu_memory_borrowed_bytes", 0)));
    assertNull(scraped(onGpu("tessera_gpu_memory_requested_bytes", 3)), "no shared tenant there: no series");
    assertNull(scraped(onGpu("tessera_gpu_memory_borrowed_bytes", 3)));
    assertEquals(0.0, scraped("tessera_gpu_memory_disagreements_total"));

    // The loan does not narrow what fits: 20391 MiB are free by the ledger, and the agent takes
    // back what bursty borrowed when a tenant needs it. Taking it back kills a process, though,
    // so another quarter goes to a GPU with room nobody borrows while there is one.
    NodeState node = cache.snapshot().node("gpu-1");
    assertEquals(20391, node.freeMiB(0));
    assertEquals(11559, node.unlentFreeMiB(0), "81559 MiB less the 70000 MiB in use, the loan included");
    assertNull(cache.placement().check(node, GpuRequest.fraction(0.25, 1)));
    assertEquals(List.of(1), cache.placement().pick(node, GpuRequest.fraction(0.25, 1)).shares().stream()
        .map(GpuShare::index).toList());
  }

  @Test
  void aRequestTheLedgerDidNotPlaceIsCountedInEveryReport() throws Exception {
    send(report().build());
    assume("bursty", GpuRequest.fraction(0.5, 1).withFractionLimit(0.9)); // 40779 MiB, up to 73403
    gpuMemory.update();
    // The agent enforces the limit as if it were the request: placement counted on less.
    NodeReport disagreeing = with(r -> r
        .setGpus(0, gpu(0, 50000))
        .addContainers(container("bursty", 0, 50000, 73403, 73403)));

    assertTrue(send(disagreeing).getAccepted(), "the report is used all the same");
    assertTrue(send(disagreeing).getAccepted());

    assertEquals(2.0, scraped("tessera_gpu_memory_disagreements_total"));
    assertEquals(0.0, scraped(onGpu("tessera_gpu_memory_borrowed_bytes", 0)), "by the agent's figures nothing is on loan");
    assertEquals(40779 * MIB, scraped(onGpu("tessera_gpu_memory_requested_bytes", 0)), "the ledger is unchanged");
    assertEquals(40779, cache.snapshot().node("gpu-1").allocations().get("uid-bursty").assignment().shares().get(0).memoryMiB());

    send(with(r -> r.addContainers(container("bursty", 0, 50000, 73403, 40779))));
    assertEquals(2.0, scraped("tessera_gpu_memory_disagreements_total"), "agreeing again counts nothing");
  }

  @Test
  void borrowedGaugesGoWhenTheAgentFallsSilent() throws Exception {
    send(report().build());
    assume("steady", GpuRequest.fraction(0.25, 1));
    gpuMemory.update();
    assertEquals(0.0, scraped(onGpu("tessera_gpu_memory_borrowed_bytes", 0)));

    clock.advance(Duration.ofSeconds(30));
    reports.expireStale();
    gpuMemory.update();

    assertNull(scraped(onGpu("tessera_gpu_memory_borrowed_bytes", 0)), "no report, no figure");
    assertEquals(20389 * MIB, scraped(onGpu("tessera_gpu_memory_requested_bytes", 0)), "the ledger is still there");
  }

  @Test
  void aGpuGetsSeriesOnlyWhileSharedTenantsAreOnIt() throws Exception {
    send(report().build());
    gpuMemory.update();
    assertNull(scraped(onGpu("tessera_gpu_memory_requested_bytes", 0)), "idle: no series");

    assume("steady", GpuRequest.fraction(0.25, 1));
    gpuMemory.update();
    assertEquals(20389 * MIB, scraped(onGpu("tessera_gpu_memory_requested_bytes", 0)));

    cache.forget("uid-steady");
    gpuMemory.update();
    assertNull(scraped(onGpu("tessera_gpu_memory_requested_bytes", 0)), "the tenant left: the series goes");
  }

  @Test
  void aSilentAgentGoesStaleAndTheLabelsDescribeTheNodeAgain() throws Exception {
    send(report().build());
    clock.advance(Duration.ofSeconds(29));
    assertTrue(reports.expireStale().isEmpty());
    assertEquals(H100_MIB, cache.snapshot().node("gpu-1").gpu(0).memoryMiB());

    clock.advance(Duration.ofSeconds(1));
    assertEquals(java.util.List.of("gpu-1"), reports.expireStale());

    NodeState node = cache.snapshot().node("gpu-1");
    assertEquals(80000, node.gpu(0).memoryMiB());
    assertNull(node.gpu(0).uuid());
    assertFalse(node.node().hasObservations());
    assertEquals(0, reports.reporting());
  }
}
