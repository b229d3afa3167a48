package dev.tessera.console.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.catalog.Change;
import dev.tessera.console.catalog.WorkloadCatalog;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Request;
import dev.tessera.console.http.Router;
import dev.tessera.console.http.StatusBody;
import dev.tessera.console.table.Csv;
import dev.tessera.console.table.TablePage;
import dev.tessera.console.table.TableQuery;
import dev.tessera.console.table.WorkloadRow;
import dev.tessera.console.table.WorkloadTable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Workloads table: {@code GET /api/v1/workloads} as JSON (a Kubernetes-style list) or CSV, its
 * Deleted view ({@code view=deleted}), and its changes as server-sent events ({@code watch=true}).
 */
final class TableRoutes {
  /** A comment line every so often keeps proxies from closing a quiet stream. */
  static final long HEARTBEAT_SECONDS = 15;

  private final WorkloadCatalog catalog;
  private final Authorizer authorizer;
  private final ObjectMapper json;
  private final ExecutorService watchDelivery;
  private final ScheduledExecutorService heartbeats;

  /**
   * @param watchDelivery the one thread that checks access for and sends every watch's changes, so
   *     the catalog's thread never waits on an access check
   */
  TableRoutes(WorkloadCatalog catalog, Authorizer authorizer, ObjectMapper json, ExecutorService watchDelivery,
      ScheduledExecutorService heartbeats) {
    this.catalog = catalog;
    this.authorizer = authorizer;
    this.json = json;
    this.watchDelivery = watchDelivery;
    this.heartbeats = heartbeats;
  }

  void register(Router router) {
    router.add("GET", "/api/v1/workloads", (request, vars, caller) -> list(request, caller));
  }

  /**
   * The list's shape, as a Kubernetes list.
   *
   * @param total rows matching the query in all, across pages
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record WorkloadList(String kind, String apiVersion, ListMeta metadata, List<WorkloadRow> items, int total) {}

  /** A list's metadata, named as Kubernetes names it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ListMeta(String resourceVersion, @JsonProperty("continue") String continueToken,
      Long remainingItemCount) {}

  private Reply list(Request request, Caller caller) throws Exception {
    boolean deleted = view(request);
    if ("true".equals(request.param("watch"))) {
      if (deleted) {
        throw ApiException.badRequest("the Deleted view has no watch: deleted workloads arrive as DELETED changes"
            + " of the live view's watch");
      }
      return watch(request, caller);
    }
    TableQuery query = TableQueries.from(request);
    long version = catalog.version();
    WorkloadTable table = deleted ? catalog.deleted() : catalog.live();
    Visibility visibility = new Visibility(authorizer, caller);
    TablePage page = table.query(query, visibility::sees);
    if (csv(request)) {
      String filename = deleted ? "deleted-workloads.csv" : "workloads.csv";
      return new Reply.Full(200, "text/csv; charset=utf-8",
          Csv.write(query.columns(), page.items()).getBytes(StandardCharsets.UTF_8),
          Map.of("Content-Disposition", "attachment; filename=\"" + filename + "\""));
    }
    ListMeta meta = new ListMeta(catalog.epoch() + "." + version, page.continueToken(),
        page.continueToken() == null ? null : (long) page.remaining());
    return Reply.json(200, json.writeValueAsBytes(
        new WorkloadList("WorkloadList", Api.VERSION, meta, page.items(), page.total())));
  }

  private static boolean view(Request request) {
    String view = request.param("view");
    if (view == null || view.equals("live")) {
      return false;
    }
    if (view.equals("deleted")) {
      return true;
    }
    throw ApiException.badRequest("view is live (the default) or deleted, not \"" + view + "\"");
  }

  private static boolean csv(Request request) {
    String format = request.param("format");
    if (format != null) {
      if (!format.equals("csv") && !format.equals("json")) {
        throw ApiException.badRequest("format is json (the default) or csv, not \"" + format + "\"");
      }
      return format.equals("csv");
    }
    String accept = request.header("accept");
    return accept != null && accept.startsWith("text/csv");
  }

  /**
   * Server-sent events from {@code resourceVersion} (a list's), or from now: each a change of a row
   * the caller may see and the query's filters and search pass (limit, sort and cursor do not
   * apply to a stream); a row changed so that it no longer passes them comes as DELETED.
   */
  private Reply watch(Request request, Caller caller) {
    TableQuery query = TableQueries.from(request);
    String from = request.param("resourceVersion");
    long version = catalog.version();
    boolean foreign = false;
    if (from != null && !from.isEmpty()) {
      int dot = from.indexOf('.');
      if (dot < 0) {
        throw ApiException.badRequest("resourceVersion is a list's metadata.resourceVersion, not \"" + from + "\"");
      }
      // Another replica's or an earlier start's version: its count means nothing here (410 below).
      foreign = !from.substring(0, dot).equals(catalog.epoch());
      try {
        version = foreign ? -1 : Long.parseLong(from.substring(dot + 1));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("resourceVersion is a list's metadata.resourceVersion, not \"" + from + "\"");
      }
      if (version > catalog.version()) {
        throw ApiException.badRequest("resourceVersion " + from + " is newer than this console's");
      }
    }
    Visibility visibility = new Visibility(authorizer, caller);
    long start = version;
    boolean expiredAlready = foreign;
    return new Reply.Stream("text/event-stream", Map.of(), sink -> {
      Optional<AutoCloseable> subscription = expiredAlready ? Optional.empty()
          : catalog.watch(start, change -> watchDelivery.execute(() -> {
        if (!sink.open() || !visibility.sees(change.row())) {
          return;
        }
        if (query.matches(change.row())) {
          sink.write(event(change));
        } else if (change.type().equals(Change.MODIFIED)) {
          // As a Kubernetes watch with a selector says it: a row that no longer passes the filters
          // is DELETED from the stream's point of view (a client not holding it ignores it).
          sink.write(event(new Change(change.version(), Change.DELETED, change.row())));
        }
      }));
      if (subscription.isEmpty()) {
        // As a Kubernetes watch says it: an ERROR event with a 410 Status; the client lists again.
        StatusBody expired = StatusBody.of(new ApiException(410, "Expired", "resourceVersion " + from
            + " is too old to resume from here: list again and watch from the list's resourceVersion"));
        sink.write(("event: ERROR\ndata: " + json.writeValueAsString(Map.of("type", "ERROR", "object", expired))
            + "\n\n").getBytes(StandardCharsets.UTF_8));
        sink.end();
        return () -> {};
      }
      var heartbeat = heartbeats.scheduleAtFixedRate(() -> {
        if (sink.open()) {
          sink.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        }
      }, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
      return () -> {
        heartbeat.cancel(false);
        subscription.get().close();
      };
    });
  }

  private byte[] event(Change change) {
    try {
      String data = json.writeValueAsString(Map.of("type", change.type(), "object", change.row()));
      return ("id: " + change.version() + "\nevent: " + change.type() + "\ndata: " + data + "\n\n")
          .getBytes(StandardCharsets.UTF_8);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a row always writes as JSON", e);
    }
  }
}
