package dev.tessera.console.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP request as the routes read it: copied out of Netty's buffers, so a route may run on any
 * thread.
 *
 * @param method "GET", "POST", ...
 * @param path the path without the query ("/api/v1/workloads")
 * @param query the query's parameters, decoded, each with its values in order
 * @param headers the headers a route may need, names lower-case
 * @param body the body's bytes; empty for none
 */
public record Request(String method, String path, Map<String, List<String>> query, Map<String, String> headers,
    byte[] body) {

  public Request {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    query = Map.copyOf(query);
    headers = Map.copyOf(headers);
    body = body == null ? new byte[0] : body;
  }

  /** A parameter's last value, or null when absent. */
  public String param(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(values.size() - 1);
  }

  /** Every value of a parameter, in order; empty when absent. */
  public List<String> params(String name) {
    return query.getOrDefault(name, List.of());
  }

  /** A header's value (name in any case), or null. */
  public String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Request that && method.equals(that.method) && path.equals(that.path)
        && query.equals(that.query) && headers.equals(that.headers) && java.util.Arrays.equals(body, that.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, path, query, headers, java.util.Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return method + " " + path;
  }
}
