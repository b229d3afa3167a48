package dev.tessera.agent.report;

import io.grpc.Status;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs each report-stream event once. */
public final class LoggingReportEvents implements ReportEvents {
  private static final Logger log = LoggerFactory.getLogger(ReportClient.class);

  @Override
  public void connected(String target) {
    log.info("reporting to the extender at {}", target);
  }

  @Override
  public void outageStarted(String target, Status cause) {
    log.warn(
        "no report stream to the extender at {} ({}{}); retrying with backoff until it answers",
        target,
        cause.getCode(),
        cause.getDescription() == null ? "" : ": " + cause.getDescription());
  }

  @Override
  public void reconnected(String target, Duration outage) {
    log.info("reporting to the extender at {} again after {} s", target, outage.toSeconds());
  }

  @Override
  public void rejected(String target, String message) {
    log.warn("the extender at {} rejected this node's report: {}", target, message);
  }

  @Override
  public void intervalAdopted(Duration interval, Duration requested) {
    if (interval.equals(requested)) {
      log.info("reporting every {} as the extender asks", interval);
    } else {
      log.info("reporting every {} (the extender asked for {}, outside the allowed range)", interval, requested);
    }
  }
}
