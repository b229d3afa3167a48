package dev.tessera.console.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Decision;
import dev.tessera.console.access.Permission;
import dev.tessera.console.catalog.PodRow;
import dev.tessera.console.catalog.WorkloadActions;
import dev.tessera.console.catalog.WorkloadCatalog;
import dev.tessera.console.catalog.WorkloadDetails;
import dev.tessera.console.history.EventPage;
import dev.tessera.console.history.EventQuery;
import dev.tessera.console.history.HistoryEvent;
import dev.tessera.console.history.HistoryUnavailableException;
import dev.tessera.console.history.WorkloadHistory;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Request;
import dev.tessera.console.http.Router;
import dev.tessera.console.metrics.MetricsRequest;
import dev.tessera.console.metrics.MetricsUnavailableException;
import dev.tessera.console.metrics.PodRef;
import dev.tessera.console.metrics.WorkloadMetrics;
import dev.tessera.console.table.WorkloadRow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A workload's details ({@code GET /api/v1/namespaces/{ns}/{kind}/{name}}), its history, its metrics
 * over a period and its copy-and-edit template; and the same history for a deleted workload.
 */
final class DetailRoutes {
  static final String BASE = "/api/v1/namespaces/{namespace}/{kind}/{name}";
  /** Charts default to the last hour in 240 steps, about what a chart is wide. */
  private static final Duration DEFAULT_PERIOD = Duration.ofHours(1);
  private static final int DEFAULT_POINTS = 240;

  private final WorkloadCatalog catalog;
  private final WorkloadHistory history;
  private final WorkloadMetrics metrics;
  private final Authorizer authorizer;
  private final ObjectMapper json;
  private final Clock clock;

  DetailRoutes(WorkloadCatalog catalog, WorkloadHistory history, WorkloadMetrics metrics, Authorizer authorizer,
      ObjectMapper json, Clock clock) {
    this.catalog = catalog;
    this.history = history;
    this.metrics = metrics;
    this.authorizer = authorizer;
    this.json = json;
    this.clock = clock;
  }

  void register(Router router) {
    router.add("GET", BASE, (request, vars, caller) -> details(vars, caller));
    router.add("GET", BASE + "/history", (request, vars, caller) ->
        history(request, found(vars, caller, "get").row()));
    router.add("GET", BASE + "/metrics", (request, vars, caller) -> metrics(request, found(vars, caller, "get")));
    router.add("GET", BASE + "/template", (request, vars, caller) -> {
      WorkloadDetails found = found(vars, caller, "get");
      Unsupported.require(found.row(), WorkloadActions.COPY);
      return template(found);
    });
    router.add("GET", "/api/v1/deleted/{uid}", (request, vars, caller) ->
        Reply.json(200, json.writeValueAsBytes(deleted(vars.get("uid"), caller))));
    router.add("GET", "/api/v1/deleted/{uid}/history", (request, vars, caller) ->
        history(request, deleted(vars.get("uid"), caller)));
  }

  /**
   * The details' shape: the catalog's, with what the caller may do to it.
   *
   * @param actions each action ("stop", "run", "delete", "logs", "copy") and whether the caller may:
   *     RBAC's answer, or, for an action the workload's kind does not support, why not (its owner's
   *     controller runs it) and what to do instead
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Details(String kind, String apiVersion, WorkloadRow row, List<PodRow> pods,
      List<WorkloadDetails.ConnectionRow> connections, List<WorkloadDetails.DataSourceRow> dataSources,
      Object spec, Map<String, Allowed> actions) {}

  /** Whether an action is allowed, and RBAC's reason when not. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Allowed(boolean allowed, String reason) {}

  private Reply details(Map<String, String> vars, Caller caller) throws Exception {
    WorkloadDetails found = found(vars, caller, "get");
    String namespace = found.row().namespace();
    String plural = vars.get("kind");
    Map<String, Allowed> actions = new LinkedHashMap<>();
    WorkloadRow row = found.row();
    Map<Permission, Allowed> asked = new HashMap<>(); // stop and run are one RBAC question: patch
    actions.put(WorkloadActions.STOP, allowed(caller, row, WorkloadActions.STOP,
        Permission.tessera("patch", plural, namespace), asked));
    actions.put(WorkloadActions.RUN, allowed(caller, row, WorkloadActions.RUN,
        Permission.tessera("patch", plural, namespace), asked));
    actions.put(WorkloadActions.DELETE, allowed(caller, row, WorkloadActions.DELETE,
        Permission.tessera("delete", plural, namespace), asked));
    actions.put(WorkloadActions.COPY, allowed(caller, row, WorkloadActions.COPY,
        Permission.tessera("create", plural, namespace), asked));
    actions.put("logs", allowed(caller, Permission.podLogs(namespace)));
    return Reply.json(200, json.writeValueAsBytes(new Details(found.kind(), Api.VERSION, found.row(), found.pods(),
        found.connections(), found.dataSources(), found.spec(), actions)));
  }

  /** What the kind does not support is not asked of RBAC: no role could make it work. */
  private Allowed allowed(Caller caller, WorkloadRow row, String action, Permission permission,
      Map<Permission, Allowed> asked) {
    String unsupported = Unsupported.why(row, action);
    return unsupported != null ? new Allowed(false, unsupported)
        : asked.computeIfAbsent(permission, p -> allowed(caller, p));
  }

  private Allowed allowed(Caller caller, Permission permission) {
    Decision decision = Visibility.check(authorizer, caller, permission);
    if (decision.allowed()) {
      return new Allowed(true, null);
    }
    String reason = "your role in this project does not allow it: " + permission.describe();
    return new Allowed(false, reason);
  }

  /** A live workload the caller may {@code verb}, or 403 / 404. */
  WorkloadDetails found(Map<String, String> vars, Caller caller, String verb) {
    WorkloadKind kind = Plurals.kind(vars.get("kind"));
    String namespace = vars.get("namespace");
    String name = vars.get("name");
    // Access first: whether a workload exists is itself something only those who may see it learn.
    Visibility.require(authorizer, caller, Permission.tessera(verb, Plurals.of(kind), namespace));
    return catalog.details(namespace, kind, name).orElseThrow(() -> ApiException.notFound(
        kind.kind().toLowerCase(Locale.ROOT) + " \"" + name + "\" not found in namespace " + namespace));
  }

  private WorkloadRow deleted(String uid, Caller caller) {
    WorkloadRow row = catalog.deletedRow(uid).orElseThrow(() -> ApiException.notFound(
        "no deleted workload with uid " + uid + " within the retention"));
    Visibility.require(authorizer, caller, Permission.tessera("list", Plurals.of(Plurals.ofType(row.type())),
        row.namespace()));
    return row;
  }

  private Reply history(Request request, WorkloadRow row) throws Exception {
    Set<HistoryEvent.Category> categories = new LinkedHashSet<>();
    for (String name : csv(request.param("category"))) {
      try {
        categories.add(HistoryEvent.Category.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_')));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("category is one or more of status, scheduling, reclaim, gpu_oom, policy,"
            + " other; not \"" + name + "\"");
      }
    }
    Set<String> types = new LinkedHashSet<>();
    for (String type : csv(request.param("type"))) {
      if (!type.equals("Normal") && !type.equals("Warning")) {
        throw ApiException.badRequest("type is Normal or Warning, not \"" + type + "\"");
      }
      types.add(type);
    }
    int limit = 100;
    if (request.param("limit") != null) {
      try {
        limit = Integer.parseInt(request.param("limit"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("limit is a whole number, not \"" + request.param("limit") + "\"");
      }
    }
    EventQuery query = new EventQuery(row.uid(), categories, types, request.param("search"),
        Times.instant("since", request.param("since"), null), Times.instant("until", request.param("until"), null),
        request.param("continue"), limit);
    EventPage page;
    try {
      page = history.events(query);
    } catch (HistoryUnavailableException e) {
      throw ApiException.unavailable("the history store did not answer: " + e.getMessage()
          + "; scheduling is not affected");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("kind", "WorkloadHistory");
    body.put("apiVersion", Api.VERSION);
    body.put("metadata", page.next() == null ? Map.of() : Map.of("continue", page.next()));
    body.put("items", page.items());
    return Reply.json(200, json.writeValueAsBytes(body));
  }

  private Reply metrics(Request request, WorkloadDetails found) throws Exception {
    Instant end = Times.instant("end", request.param("end"), clock.instant());
    Instant start = Times.instant("start", request.param("start"), end.minus(DEFAULT_PERIOD));
    Duration fallbackStep = Duration.between(start, end).dividedBy(DEFAULT_POINTS);
    Duration step = Times.duration("step", request.param("step"),
        fallbackStep.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : fallbackStep);
    List<PodRef> pods = found.pods().stream().map(pod -> new PodRef(found.row().namespace(), pod.name(), pod.uid(),
        pod.node(), pod.cpuRequestMillis(), pod.memoryLimitBytes())).toList();
    try {
      return Reply.json(200, json.writeValueAsBytes(metrics.query(new MetricsRequest(pods, start, end, step))));
    } catch (MetricsUnavailableException e) {
      throw ApiException.unavailable(e.getMessage());
    }
  }

  /** What copy-and-edit opens: the workload's kind and spec, under a new name, without its status. */
  private Reply template(WorkloadDetails found) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("kind", found.kind());
    body.put("metadata", Map.of("name", found.row().name() + "-copy", "namespace", found.row().namespace()));
    body.put("spec", found.spec());
    return Reply.json(200, json.writeValueAsBytes(body));
  }

  private static List<String> csv(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return java.util.Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

}
