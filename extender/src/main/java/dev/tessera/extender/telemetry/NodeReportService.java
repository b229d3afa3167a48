package dev.tessera.extender.telemetry;

import com.google.protobuf.Duration;
import dev.tessera.extender.actions.RecentKeys;
import dev.tessera.proto.agent.v1.NodeReport;
import dev.tessera.proto.agent.v1.NodeReportsGrpc;
import dev.tessera.proto.agent.v1.ReportAck;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extender's end of {@code tessera.agent.v1.NodeReports}: every report gets an acknowledgement
 * that tells the agent whether it was used (and if not, why) and how often to report.
 */
final class NodeReportService extends NodeReportsGrpc.NodeReportsImplBase {
  private static final Logger log = LoggerFactory.getLogger(NodeReportService.class);
  static final String REPORTS = "tessera.agent.reports";
  static final String DISAGREEMENTS = "tessera.gpu.memory.disagreements";

  private final AgentReports reports;
  private final ReportReader reader = new ReportReader();
  private final Duration interval;
  private final Duration staleAfter;
  private final RecentKeys warned = new RecentKeys(1_000);
  /** Pods whose disagreement with the ledger was logged: once per pod is enough to act on. */
  private final RecentKeys disagreeingPods = new RecentKeys(1_000);
  private final Counter accepted;
  private final Counter rejected;
  private final Counter disagreements;

  NodeReportService(AgentReports reports, ReportConfig config, MeterRegistry registry) {
    this.reports = Objects.requireNonNull(reports, "reports");
    this.interval = protoDuration(config.interval());
    this.staleAfter = protoDuration(config.staleAfter());
    this.accepted = counter(registry, "accepted");
    this.rejected = counter(registry, "rejected");
    this.disagreements = Counter.builder(DISAGREEMENTS)
        .description("Report entries whose requested GPU memory for a pod differs from the ledger's share;"
            + " counted in every report while it lasts")
        .register(registry);
  }

  @Override
  public StreamObserver<NodeReport> report(StreamObserver<ReportAck> acks) {
    return new StreamObserver<>() {
      @Override
      public void onNext(NodeReport report) {
        acks.onNext(handle(report));
      }

      @Override
      public void onError(Throwable t) {
        // The agent went away or the connection broke; it reconnects, and silence makes it stale.
        log.debug("report stream ended: {}", Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        acks.onCompleted();
      }
    };
  }

  ReportAck handle(NodeReport report) {
    ReportReader.Read read = reader.read(report);
    String problem;
    if (read instanceof ReportReader.Read.Ok ok) {
      if (reports.accept(ok.node(), ok.view(), ok.utilization(), ok.borrowedBytes(), ok.computeLent(),
          ok.computeIdle())) {
        accepted.increment();
        checkAgainstLedger(ok.node(), ok.containers());
        return ack(true, "");
      }
      problem = "node " + ok.node() + " is not known to the API server; the agent must report its"
          + " Kubernetes node name (spec.nodeName), not the host name";
    } else {
      problem = ((ReportReader.Read.Invalid) read).reason();
    }
    rejected.increment();
    if (warned.firstTime(report.getNodeName() + "\n" + problem)) {
      log.warn("rejected a report from the agent of node '{}': {}", report.getNodeName(), problem);
    }
    return ack(false, problem);
  }

  /**
   * Counts and names the containers whose requested memory is not what the ledger placed their pod
   * by. The ledger stays as it is: it placed the pod, and the report only says what the agent
   * enforces. Most reports agree entirely, and cost no allocation here.
   */
  private void checkAgainstLedger(String node, List<ContainerMemory> containers) {
    if (containers.isEmpty()) {
      return;
    }
    for (MemoryAgreement.Disagreement disagreement :
        MemoryAgreement.disagreements(reports.ledger(node), containers)) {
      disagreements.increment();
      if (disagreeingPods.firstTime(disagreement.container().podUid())) {
        log.warn(MemoryAgreement.warning(node, disagreement));
      }
    }
  }

  private ReportAck ack(boolean ok, String message) {
    return ReportAck.newBuilder()
        .setAccepted(ok)
        .setMessage(message)
        .setReportInterval(interval)
        .setStaleAfter(staleAfter)
        .build();
  }

  private static Counter counter(MeterRegistry registry, String outcome) {
    return Counter.builder(REPORTS)
        .description("node agent reports received, by whether placement uses them")
        .tag("outcome", outcome)
        .register(registry);
  }

  private static Duration protoDuration(java.time.Duration duration) {
    return Duration.newBuilder().setSeconds(duration.getSeconds()).setNanos(duration.getNano()).build();
  }
}
