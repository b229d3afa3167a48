package dev.tessera.controller.workloads.scaling;

import dev.tessera.api.syntax.SeriesSelector;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request load of each ready replica of the inferences that scale on requests, read off the
 * replicas' own metrics pages in rounds: on a timer ({@link #scrapeAll}), and at once when a
 * replica appears or moves. The workload controller says what to read ({@link #track}) and asks
 * for the latest figures ({@link #measures}); it never waits on a scrape, which happens on the
 * reader's threads. After each round the inference's {@code measured} callback runs, so the
 * controller decides again on fresh figures.
 *
 * <p>A gauge's value is the load (requests in flight). A counter's load is its rate between two
 * readings of the same pod, over the time between them on the injected clock; a first reading,
 * or a counter that went down (the server restarted), gives no rate until the next one: nothing is
 * guessed. A failed scrape leaves the replica unmeasured, logged once when its failures begin and
 * once when they end; how many rounds in a row failed is in its {@link Measure}, for the
 * controller to tell the user when it persists.
 *
 * <p>Thread-safe: the controller's worker, the timer and the reader's completions share it under
 * one lock, and no scrape or callback runs under it.
 */
public final class RequestLoad {
  private static final Logger log = LoggerFactory.getLogger(RequestLoad.class);

  /** Reads a series off a metrics page; a failure completes normally, as a failed {@link Reading}. */
  @FunctionalInterface
  public interface PageReader {
    CompletableFuture<Reading> read(URI endpoint, SeriesSelector series);
  }

  /**
   * What to read of each replica.
   *
   * @param counter true when the series is a counter whose rate is the load (requests per second);
   *     false when its value is (requests in flight)
   */
  public record Source(SeriesSelector series, boolean counter) {
    public Source {
      Objects.requireNonNull(series, "series");
    }
  }

  /**
   * A replica to read.
   *
   * @param pod its pod's UID: a new pod is measured afresh, whatever its name
   * @param name its pod's name, for logs
   * @param endpoint its metrics page
   */
  public record Replica(String pod, String name, URI endpoint) {
    public Replica {
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(endpoint, "endpoint");
    }
  }

  /**
   * One replica's latest figure.
   *
   * @param load its load; empty while it has none
   * @param problem why the last scrape failed; null when it did not (a replica not scraped yet, or
   *     a counter with one reading, has no load and no problem)
   * @param failures scrapes in a row that failed
   */
  public record Measure(OptionalDouble load, String problem, int failures) {
    public static final Measure NONE_YET = new Measure(OptionalDouble.empty(), null, 0);

    static Measure of(double load) {
      return new Measure(OptionalDouble.of(load), null, 0);
    }
  }

  private final PageReader reader;
  private final Clock clock;
  /** By inference key (namespace/name); guarded by this. */
  private final Map<String, Tracked> tracked = new HashMap<>();

  public RequestLoad(PageReader reader, Clock clock) {
    this.reader = Objects.requireNonNull(reader, "reader");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** One that reads nothing: every replica stays unmeasured. For a controller given no HTTP client. */
  public static RequestLoad unread(Clock clock) {
    Reading none = Reading.failed("this controller was started without a metrics reader");
    return new RequestLoad((endpoint, series) -> CompletableFuture.completedFuture(none), clock);
  }

  /**
   * Reads {@code replicas} of the inference from now on, in place of those given before; their
   * figures are kept, but for replicas that are new or moved (another endpoint), which are read at
   * once. A change of source starts every figure afresh.
   *
   * @param measured runs after each round of the inference's scrapes, on the reader's thread
   */
  public void track(String inference, Source source, List<Replica> replicas, Runnable measured) {
    Objects.requireNonNull(measured, "measured");
    boolean fresh;
    synchronized (this) {
      Tracked t = tracked.get(inference);
      if (t == null || !t.source.equals(source)) {
        t = new Tracked(source);
        tracked.put(inference, t);
      }
      t.measured = measured;
      fresh = t.replace(replicas);
    }
    if (fresh) {
      round(inference);
    }
  }

  /** The latest figure of each of the replicas, in their order; {@link Measure#NONE_YET} for one not read yet. */
  public synchronized List<Measure> measures(String inference, List<Replica> replicas) {
    Tracked t = tracked.get(inference);
    List<Measure> measures = new ArrayList<>(replicas.size());
    for (Replica replica : replicas) {
      Replica known = t == null ? null : t.replicas.get(replica.pod());
      boolean same = known != null && known.endpoint().equals(replica.endpoint());
      measures.add(same ? t.measures.getOrDefault(replica.pod(), Measure.NONE_YET) : Measure.NONE_YET);
    }
    return measures;
  }

  /** Stops reading the inference's replicas and drops their figures. */
  public synchronized void forget(String inference) {
    tracked.remove(inference);
  }

  /** Starts a round for every inference tracked, but those whose last round is still out. Does not wait for them. */
  public void scrapeAll() {
    List<String> inferences;
    synchronized (this) {
      inferences = new ArrayList<>(tracked.keySet());
    }
    inferences.forEach(this::round);
  }

  private void round(String inference) {
    Tracked t;
    Source source;
    List<Replica> replicas;
    synchronized (this) {
      t = tracked.get(inference);
      if (t == null || t.replicas.isEmpty()) {
        return;
      }
      if (t.inFlight) {
        t.again = true; // one round at a time per inference; the next follows this one
        return;
      }
      t.inFlight = true;
      source = t.source;
      replicas = List.copyOf(t.replicas.values());
    }
    List<CompletableFuture<Reading>> reads = new ArrayList<>(replicas.size());
    for (Replica replica : replicas) {
      reads.add(reader.read(replica.endpoint(), source.series()));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .whenComplete((done, error) -> finish(inference, t, replicas, reads));
  }

  private void finish(String inference, Tracked t, List<Replica> replicas, List<CompletableFuture<Reading>> reads) {
    Runnable measured;
    boolean again;
    synchronized (this) {
      t.inFlight = false;
      again = t.again;
      t.again = false;
      if (tracked.get(inference) != t) {
        return; // forgotten, or its source changed, meanwhile
      }
      Instant now = clock.instant();
      for (int i = 0; i < replicas.size(); i++) {
        Replica replica = replicas.get(i);
        Replica current = t.replicas.get(replica.pod());
        if (current == null || !current.endpoint().equals(replica.endpoint())) {
          continue; // gone or moved while it was read
        }
        Reading reading = reads.get(i).isCompletedExceptionally()
            ? Reading.failed("the reader failed") : reads.get(i).join();
        Measure before = t.measures.getOrDefault(replica.pod(), Measure.NONE_YET);
        Measure after = t.source.counter() ? t.rate(replica, reading, before, now) : level(reading, before);
        t.measures.put(replica.pod(), after);
        report(inference, replica, t.source, before, after);
      }
      measured = t.measured;
    }
    if (again) {
      round(inference);
    }
    try {
      measured.run();
    } catch (RuntimeException e) {
      log.warn("after reading the request metrics of inference {}: {}", inference, e.toString());
    }
  }

  private static Measure level(Reading reading, Measure before) {
    return reading.value().isPresent() ? Measure.of(reading.value().getAsDouble()) : failed(reading, before);
  }

  private static Measure failed(Reading reading, Measure before) {
    return new Measure(OptionalDouble.empty(), reading.problem(), before.failures() + 1);
  }

  /** A log line when a replica's failures begin and one when they end; nothing while they go on. */
  private static void report(String inference, Replica replica, Source source, Measure before, Measure after) {
    if (after.failures() == 1) {
      log.warn("inference {}: cannot read {} from pod {} at {}: {}; the replica counts as unmeasured, and the"
              + " inference is not scaled while a ready replica is", inference, source.series(), replica.name(),
          replica.endpoint(), after.problem());
    } else if (after.failures() == 0 && before.failures() > 0) {
      log.info("inference {}: pod {} at {} is read again after {} failed scrape(s)", inference, replica.name(),
          replica.endpoint(), before.failures());
    }
  }

  /** A counter's reading: where it stood, and when. */
  private record CounterReading(double value, Instant at) {}

  /** One inference's replicas and their figures; guarded by the RequestLoad's lock. */
  private static final class Tracked {
    final Source source;
    Runnable measured;
    Map<String, Replica> replicas = new LinkedHashMap<>();
    final Map<String, Measure> measures = new HashMap<>();
    final Map<String, CounterReading> counters = new HashMap<>();
    boolean inFlight;
    boolean again;

    Tracked(Source source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** Takes the new replica list; true when one of them is new or has moved. */
    boolean replace(List<Replica> next) {
      boolean fresh = false;
      Map<String, Replica> byPod = new LinkedHashMap<>();
      for (Replica replica : next) {
        Replica old = replicas.get(replica.pod());
        if (old == null || !old.endpoint().equals(replica.endpoint())) {
          measures.remove(replica.pod());
          counters.remove(replica.pod());
          fresh = true;
        }
        byPod.put(replica.pod(), replica);
      }
      measures.keySet().retainAll(byPod.keySet());
      counters.keySet().retainAll(byPod.keySet());
      replicas = byPod;
      return fresh;
    }

    /** A counter's rate since its last reading of this pod; none on the first reading or after a reset. */
    Measure rate(Replica replica, Reading reading, Measure before, Instant now) {
      if (reading.value().isEmpty()) {
        return failed(reading, before); // the last reading stays the base: the next rate spans the gap
      }
      double value = reading.value().getAsDouble();
      CounterReading last = counters.get(replica.pod());
      if (last != null && !now.isAfter(last.at())) {
        return new Measure(before.load(), null, 0); // no time has passed: no new rate, the base stays
      }
      counters.put(replica.pod(), new CounterReading(value, now));
      if (last == null || value < last.value()) {
        return Measure.NONE_YET; // a first reading, or a restarted server's counter: a rate needs two of one run
      }
      double seconds = Duration.between(last.at(), now).toNanos() / 1e9;
      return Measure.of((value - last.value()) / seconds);
    }
  }
}
