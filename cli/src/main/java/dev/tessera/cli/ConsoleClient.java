package dev.tessera.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.workloads.WorkloadKind;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The calls the CLI makes to Tessera's Workloads API (the console), over HTTP with JSON; the
 * console's Kubernetes {@code Status} errors become {@link CliException}s with its message and
 * what to do about a 401 or 403. Only the fields the CLI shows are read, so the console may add
 * others.
 */
final class ConsoleClient {
  /** The most rows the console sends in one page. */
  static final int MAX_CHUNK = 10_000;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * A bearer token and where it came from, so a refusal can say which one was refused.
   *
   * @param source "--token", "$TESSERA_TOKEN" or "the kubeconfig's token"
   */
  record Token(String value, String source) {
    @Override
    public String toString() {
      return "Token[" + source + "]"; // never the token itself
    }
  }

  /** A row of the Workloads table: the columns the CLI shows. Times are RFC 3339; quantities cores and bytes. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Row(String uid, String name, String namespace, String type, String ownerKind, String ownerName,
      String status, String project,
      String department, String createdBy, int runningPods, int requestedPods, String createdAt, String completedAt,
      int connections, double gpuComputeRequest, double gpuComputeAllocation, Long gpuMemoryRequest,
      double cpuComputeRequest, double cpuComputeAllocation, long cpuMemoryRequest, long cpuMemoryAllocation,
      List<String> nodePools) {}

  /** One history entry, as the console keeps it. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Entry(String time, String category, String type, String reason, String message, String pod) {}

  /**
   * A workload's latest history entries, newest first.
   *
   * @param more whether older entries exist beyond these
   * @param unavailable why there are none to show (the history store is down, the console does not
   *     know the workload yet); null when the console answered
   */
  record History(List<Entry> entries, boolean more, String unavailable) {}

  private final URI base;
  private final Token token;
  private final HttpClient http;

  ConsoleClient(URI base, Token token) {
    this.base = base;
    this.token = token;
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  }

  URI base() {
    return base;
  }

  /**
   * Every row of a namespace (null: of every project the caller may see), following {@code
   * continue} page after page.
   */
  List<Row> workloads(String namespace, int chunkSize) {
    List<Row> rows = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String next = null;
    do {
      StringBuilder path = new StringBuilder("/api/v1/workloads?limit=").append(chunkSize);
      if (namespace != null) {
        path.append("&filterBy=").append(encode("namespace==" + namespace));
      }
      if (next != null) {
        path.append("&continue=").append(encode(next));
      }
      JsonNode page = require(get(path.toString()), null);
      for (JsonNode item : page.path("items")) {
        rows.add(convert(item, Row.class));
      }
      next = page.path("metadata").path("continue").asText("");
      if (next.isEmpty()) {
        next = null;
      } else if (!seen.add(next) || page.path("items").isEmpty()) {
        throw CliException.failed("the console at " + base + " sent a page that does not advance (continue " + next + "); list again");
      }
    } while (next != null);
    return rows;
  }

  /** The workload's row from its details, or empty where the console does not know it (yet). */
  Optional<Row> row(WorkloadKind kind, String namespace, String name) {
    Answer answer = get(workloadPath(kind, namespace, name));
    if (answer.code() == 404) {
      return Optional.empty();
    }
    return Optional.of(convert(require(answer, namespace).path("row"), Row.class));
  }

  /**
   * The workload's latest {@code limit} entries, newest first; where the console cannot give them
   * (the workload not in its catalog yet, its history store down) why not, rather than a failure,
   * since the rest of {@code describe} comes from Kubernetes. One more entry is asked for than is
   * shown, so whether there are older ones is known whatever the store's paging.
   */
  History history(WorkloadKind kind, String namespace, String name, int limit) {
    Answer answer = get(workloadPath(kind, namespace, name) + "/history?limit=" + (limit + 1));
    if (answer.code() == 404 || answer.code() == 503) {
      return new History(List.of(), false, "the console " + (answer.code() == 404 ? "does not know it yet" : "has"
          + " no history now") + " (HTTP " + answer.code() + "): " + message(answer));
    }
    JsonNode body = require(answer, namespace);
    List<Entry> entries = new ArrayList<>();
    for (JsonNode item : body.path("items")) {
      entries.add(convert(item, Entry.class));
    }
    boolean more = entries.size() > limit || !body.path("metadata").path("continue").asText("").isEmpty();
    return new History(List.copyOf(entries.subList(0, Math.min(limit, entries.size()))), more, null);
  }

  private static String workloadPath(WorkloadKind kind, String namespace, String name) {
    return "/api/v1/namespaces/" + encode(namespace) + "/" + Kinds.plural(kind) + "/" + encode(name);
  }

  /** An answer: its status and body, JSON when the body is JSON. */
  private record Answer(int code, String body, JsonNode json) {}

  private Answer get(String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(REQUEST_TIMEOUT)
        .header("Accept", "application/json")
        .header("Authorization", "Bearer " + token.value())
        .GET()
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw CliException.failed("cannot reach the console at " + base + ": " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliException.failed("interrupted while waiting for the console at " + base);
    }
    JsonNode json;
    try {
      json = JSON.readTree(response.body());
    } catch (IOException e) {
      json = null; // not JSON: a proxy's page, say; the status code tells what happened
    }
    return new Answer(response.statusCode(), response.body(), json);
  }

  /**
   * The answer's JSON when it succeeded, else a {@link CliException} with the console's message
   * and, for 401 and 403, what the user can do.
   *
   * @param namespace the project asked about, for a 403's advice; null for the whole table
   */
  private JsonNode require(Answer answer, String namespace) {
    int code = answer.code();
    if (code >= 200 && code < 300) {
      if (answer.json() == null || !answer.json().isObject()) {
        throw CliException.failed("the console at " + base + " answered HTTP " + code + " with no JSON: "
            + excerpt(answer.body()) + " (is " + base + " a Tessera console?)");
      }
      return answer.json();
    }
    String said = "(HTTP " + code + reason(answer) + "): " + message(answer);
    if (code == 401) {
      throw CliException.failed("the console at " + base + " did not accept " + token.source() + " " + said
          + "; sign in with --token TOKEN (or set " + ConsoleOptions.TOKEN_ENV + ") with a token the cluster's API"
          + " server accepts");
    }
    if (code == 403) {
      throw CliException.failed("the console at " + base + " refused " + said + "; ask your administrator for a"
          + " role in " + (namespace == null ? "the project" : "project '" + namespace + "'") + " that allows it");
    }
    throw CliException.failed("the console at " + base + " refused " + said);
  }

  private static String reason(Answer answer) {
    String reason = answer.json() == null ? "" : answer.json().path("reason").asText("");
    return reason.isEmpty() ? "" : " " + reason;
  }

  /** The Status's message, else the start of whatever came instead. */
  private static String message(Answer answer) {
    String message = answer.json() == null ? "" : answer.json().path("message").asText("");
    return message.isEmpty() ? excerpt(answer.body()) : message;
  }

  private static String excerpt(String body) {
    String text = body == null ? "" : body.strip().replaceAll("\\s+", " ");
    if (text.isEmpty()) {
      return "(no message)";
    }
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }

  private <T> T convert(JsonNode node, Class<T> type) {
    try {
      return JSON.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw CliException.failed("the console at " + base + " sent a " + type.getSimpleName().toLowerCase(Locale.ROOT)
          + " the CLI cannot read: " + e.getOriginalMessage());
    }
  }

  private static String describe(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage() != null ? cause.getMessage() : cause.toString();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
