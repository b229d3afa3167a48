package dev.tessera.agent.report;

import io.grpc.Status;
import java.time.Duration;

/**
 * What the report stream lived through, for the log (and for tests, which record them). Each is
 * called once per occurrence, never per retry: an extender down for an hour is one outage.
 */
public interface ReportEvents {

  /** The extender acknowledged a first report. */
  void connected(String target);

  /** The stream failed or could not be opened; retries follow with backoff, silently. */
  void outageStarted(String target, Status cause);

  /** The extender acknowledged a report again after an outage. */
  void reconnected(String target, Duration outage);

  /** The extender rejected a report; repeats of the same message are not reported again. */
  void rejected(String target, String message);

  /** The extender asked for another report interval. */
  void intervalAdopted(Duration interval, Duration requested);
}
