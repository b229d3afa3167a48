package dev.tessera.agent.report;

import dev.tessera.proto.agent.v1.NodeReport;
import dev.tessera.proto.agent.v1.NodeReportsGrpc;
import dev.tessera.proto.agent.v1.ReportAck;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Keeps one {@code NodeReports.Report} stream open to the extender and sends a report every
 * interval, built from the latest sample.
 *
 * <p>Every state change runs on the one thread of {@code executor}: gRPC callbacks only hop onto
 * it. So the state below needs no lock, and a callback from a stream that has since been replaced
 * is recognised and ignored.
 *
 * <p>When the stream fails (the extender is down, restarting, or stops acknowledging) the client
 * reopens it after an exponential backoff with jitter, and tells {@link ReportEvents} once per
 * outage. The outage ends, and the backoff starts over, with the first ReportAck: an open TCP
 * connection alone proves nothing.
 */
public final class ReportClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final String target;
  private final Supplier<NodeReport> reports;
  private final ReportSettings settings;
  private final Backoff backoff;
  private final ReportEvents events;
  private final Clock clock;
  private final ScheduledExecutorService executor;

  // Confined to the executor's thread.
  private Duration interval;
  private Stream current;
  private ScheduledFuture<?> sendTask;
  private ScheduledFuture<?> reconnectTask;
  private Instant outageSince;
  private boolean everConnected;
  private String lastRejection;
  /**
   * When the snapshot in the newest report the extender accepted was taken: from a GPU change to
   * the extender's placement using it takes until this passes the change. Written on the executor,
   * read by /metrics.
   */
  private volatile Instant acceptedSampleTime;
  private boolean closed;

  /**
   * @param channel to the extender; the caller owns it and shuts it down after {@link #close()}
   * @param target the extender's address, for the log
   * @param reports the report to send now; called on the executor's thread, must not block
   * @param executor single-threaded; the caller owns it
   */
  public ReportClient(
      ManagedChannel channel,
      String target,
      Supplier<NodeReport> reports,
      ReportSettings settings,
      Backoff backoff,
      ReportEvents events,
      Clock clock,
      ScheduledExecutorService executor) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.target = Objects.requireNonNull(target, "target");
    this.reports = Objects.requireNonNull(reports, "reports");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.interval = settings.initialInterval();
  }

  /** Opens the stream and sends the first report; returns at once. */
  public void start() {
    executor.execute(this::connect);
  }

  /** When the snapshot of the newest report the extender accepted was taken; empty before one. */
  public Optional<Instant> acceptedSampleTime() {
    return Optional.ofNullable(acceptedSampleTime);
  }

  /** The interval in force; for tests and the log. */
  public Duration interval() {
    return onExecutor(() -> interval);
  }

  private void connect() {
    reconnectTask = null;
    if (closed) {
      return;
    }
    // Our backoff decides when to try; the channel's own (up to 2 min) must not add to it.
    channel.resetConnectBackoff();
    Stream stream = new Stream();
    current = stream;
    NodeReportsGrpc.newStub(channel).report(stream);
    send();
  }

  private void send() {
    sendTask = null;
    Stream s = current;
    if (s == null || closed) {
      return;
    }
    Instant now = clock.instant();
    if (s.unackedSince != null
        && Duration.between(s.unackedSince, now).compareTo(settings.ackTimeoutFor(interval)) > 0) {
      // onError(CANCELLED) follows and takes the usual reconnect path.
      s.requests.cancel("no ReportAck for " + Duration.between(s.unackedSince, now).toMillis() + " ms", null);
      return;
    }
    // Reports are snapshots, not deltas: when the transport is backed up, skipping one loses
    // nothing but freshness, while buffering would deliver stale ones late. The first goes out
    // regardless: it is buffered until the stream opens.
    if (s.sent == 0 || s.requests.isReady()) {
      NodeReport report = reports.get();
      s.requests.onNext(report);
      s.inFlight.add(Instant.ofEpochSecond(report.getSentAt().getSeconds(), report.getSentAt().getNanos()));
      s.sent++;
      if (s.unackedSince == null) {
        s.unackedSince = now;
      }
    }
    sendTask = schedule(this::send, interval);
  }

  private void onAck(Stream s, ReportAck ack) {
    if (s != current || closed) {
      return;
    }
    Instant now = clock.instant();
    Instant sampled = s.inFlight.poll(); // acks come in the order the reports went out
    s.acked++;
    s.unackedSince = s.acked >= s.sent ? null : now;
    if (!s.acknowledged) {
      s.acknowledged = true;
      backoff.reset();
      if (outageSince != null) {
        events.reconnected(target, Duration.between(outageSince, now));
        outageSince = null;
      } else if (!everConnected) {
        events.connected(target);
      }
      everConnected = true;
    }
    if (ack.getAccepted()) {
      lastRejection = null;
      if (sampled != null) {
        acceptedSampleTime = sampled;
      }
    } else if (!ack.getMessage().equals(lastRejection)) {
      lastRejection = ack.getMessage();
      events.rejected(target, lastRejection);
    }
    if (ack.hasReportInterval()) {
      adopt(Duration.ofSeconds(ack.getReportInterval().getSeconds(), ack.getReportInterval().getNanos()));
    }
  }

  private void adopt(Duration requested) {
    if (requested.isNegative() || requested.isZero()) {
      return; // unset or nonsense: keep the interval we have
    }
    Duration next = settings.clamp(requested);
    if (next.equals(interval)) {
      return;
    }
    interval = next;
    events.intervalAdopted(next, requested);
    // Take the new interval from now, not after the rest of the old one (which may be long).
    if (sendTask != null && sendTask.cancel(false)) {
      sendTask = schedule(this::send, next);
    }
  }

  private void onEnd(Stream s, Status status) {
    if (s != current) {
      return;
    }
    current = null;
    if (sendTask != null) {
      sendTask.cancel(false);
      sendTask = null;
    }
    if (closed) {
      return;
    }
    if (outageSince == null) {
      outageSince = clock.instant();
      events.outageStarted(target, status);
    }
    reconnectTask = schedule(this::connect, backoff.nextDelay());
  }

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Half-closes the stream (the extender sees a clean end) and stops all timers. */
  @Override
  public void close() {
    try {
      onExecutor(
          () -> {
            closed = true;
            if (sendTask != null) {
              sendTask.cancel(false);
            }
            if (reconnectTask != null) {
              reconnectTask.cancel(false);
            }
            if (current != null) {
              current.requests.onCompleted();
              current = null;
            }
            return null;
          });
    } catch (IllegalStateException e) {
      // The executor is already gone: nothing left to stop.
    }
  }

  private <T> T onExecutor(Callable<T> task) {
    try {
      return executor.submit(task).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      throw new IllegalStateException("report client executor: " + e, e);
    }
  }

  /** One attempt at a stream; its callbacks hop onto the executor. */
  private final class Stream implements ClientResponseObserver<NodeReport, ReportAck> {
    private ClientCallStreamObserver<NodeReport> requests;
    private int sent;
    private int acked;
    private Instant unackedSince;
    private boolean acknowledged;
    /** Snapshot times of the reports sent and not yet acknowledged, oldest first. */
    private final java.util.ArrayDeque<Instant> inFlight = new java.util.ArrayDeque<>();

    @Override
    public void beforeStart(ClientCallStreamObserver<NodeReport> requestStream) {
      this.requests = requestStream; // called inside report(), on the executor's thread
    }

    @Override
    public void onNext(ReportAck ack) {
      hop(() -> onAck(this, ack));
    }

    @Override
    public void onError(Throwable t) {
      hop(() -> onEnd(this, Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      hop(() -> onEnd(this, Status.UNAVAILABLE.withDescription("the extender ended the stream")));
    }

    private void hop(Runnable r) {
      try {
        executor.execute(r);
      } catch (RejectedExecutionException e) {
        // Shutting down: the executor is gone and so is interest in this stream.
      }
    }
  }
}
