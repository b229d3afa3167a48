package dev.tessera.extender.http;

import dev.tessera.extender.verbs.ExtenderHandler;
import dev.tessera.extender.verbs.FilterDecision;
import dev.tessera.extender.verbs.WirePod;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Each route's work between the bytes received and the bytes answered: read the wire form, ask the
 * {@link ExtenderHandler}, write the wire form. HTTP concerns (threads, status codes, connections)
 * stay in {@link RequestDispatcher}. Thread-safe.
 */
final class ExtenderEndpoints {
  private final ExtenderHandler handler;
  private final WireReader reader;
  private final WireWriter writer;
  private final PrometheusMeterRegistry registry;

  ExtenderEndpoints(
      ExtenderHandler handler,
      WireReader reader,
      WireWriter writer,
      PrometheusMeterRegistry registry) {
    this.handler = handler;
    this.reader = reader;
    this.writer = writer;
    this.registry = registry;
  }

  /** Reads a filter request; cheap, so it runs where the request arrived. */
  ExtenderArgs readFilter(ByteBuf body) throws BadRequestException {
    return reader.readExtenderArgs(body);
  }

  /** True when deciding this filter request may block, so it is answered off the I/O threads. */
  boolean filtersOffLoop(ExtenderArgs args) {
    return handler.decidesOffLoop(args.pod());
  }

  /** Decides and writes a filter request read by {@link #readFilter} from {@code body}. */
  void answerFilter(ExtenderArgs args, ByteBuf body, ByteBuf out) {
    try {
      FilterDecision decision = handler.filter(args.pod(), args.nodes());
      writer.writeFilterResult(args, decision, body, out);
    } catch (RuntimeException | Error e) {
      throw new DecisionFailure(Route.FILTER, args.pod(), e);
    }
  }

  void prioritize(ByteBuf body, ByteBuf out) throws BadRequestException {
    ExtenderArgs args = reader.readExtenderArgs(body);
    try {
      int[] scores = handler.prioritize(args.pod(), args.nodes());
      writer.writeHostPriorityList(args.nodeNames(), scores, out);
    } catch (RuntimeException | Error e) {
      throw new DecisionFailure(Route.PRIORITIZE, args.pod(), e);
    }
  }

  void preempt(ByteBuf body, ByteBuf out) throws BadRequestException {
    PreemptionArgs args = reader.readPreemptionArgs(body);
    try {
      Map<String, List<String>> accepted = handler.preempt(args.pod(), args.victimUidsByNode());
      writer.writePreemptionResult(args, accepted, out);
    } catch (RuntimeException | Error e) {
      throw new DecisionFailure(Route.PREEMPT, args.pod(), e);
    }
  }

  /** Reads a bind request; cheap, so it runs where the request arrived. */
  ExtenderHandler.BindRequest readBind(ByteBuf body) throws BadRequestException {
    return reader.readBindingArgs(body);
  }

  /** Binds; may block, so it runs on the bind executor. */
  void bind(ExtenderHandler.BindRequest request, ByteBuf out) {
    String error;
    try {
      error = handler.bind(request);
    } catch (RuntimeException | Error e) {
      throw new DecisionFailure(
          "bind of pod "
              + request.podNamespace()
              + "/"
              + request.podName()
              + " to "
              + request.node()
              + " failed",
          e);
    }
    writer.writeBindingResult(error, out);
  }

  boolean synced() {
    return handler.synced();
  }

  boolean ready() {
    return handler.ready();
  }

  /** The registry in Prometheus text format 0.0.4. */
  void scrape(ByteBuf out) {
    try {
      registry.scrape(
          (OutputStream) new ByteBufOutputStream(out), Replies.PROMETHEUS_TEXT.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The decision core (or the answer it gave) failed for one request. Its message names the verb
   * and pod so the HTTP 500 and the log line say which pod hit the bug.
   */
  static final class DecisionFailure extends RuntimeException {
    DecisionFailure(Route route, WirePod pod, Throwable cause) {
      this(route.tag() + " of pod " + pod.key() + " failed", cause);
    }

    DecisionFailure(String what, Throwable cause) {
      super(what + ": " + cause, cause);
    }
  }
}
