package dev.tessera.console.http;

import dev.tessera.console.access.AccessUnavailableException;
import dev.tessera.console.access.Authenticator;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.UnauthenticatedException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds the route of a request by method and path pattern ({@code /api/v1/namespaces/{namespace}/...}),
 * authenticates the caller where the route asks, and runs it. A path no route has is 404; a path
 * whose routes take other methods is 405.
 */
public final class Router {
  private final Authenticator authenticator;
  private final List<Route> routes = new ArrayList<>();

  public Router(Authenticator authenticator) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
  }

  /** What a route does with a request. */
  @FunctionalInterface
  public interface Handler {
    /**
     * @param vars the pattern's {@code {names}} and their values in the path
     * @param caller who asks, or null on a route that needs no sign-in
     */
    Reply handle(Request request, Map<String, String> vars, Caller caller) throws Exception;
  }

  /**
   * A route.
   *
   * @param method the HTTP method
   * @param pattern the path, with {@code {name}} for a segment the route reads
   * @param signedIn whether only an authenticated caller may use it
   */
  public record Route(String method, String pattern, boolean signedIn, Handler handler) {
    String[] segments() {
      return pattern.substring(1).split("/", -1);
    }
  }

  /** Adds a route that needs a signed-in caller. */
  public Router add(String method, String pattern, Handler handler) {
    routes.add(new Route(method, pattern, true, handler));
    return this;
  }

  /** Adds a route anyone may use: health, the OpenAPI document, the docs' pages. */
  public Router open(String method, String pattern, Handler handler) {
    routes.add(new Route(method, pattern, false, handler));
    return this;
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }

  public Reply handle(Request request) throws Exception {
    String[] path = request.path().substring(1).split("/", -1);
    boolean pathKnown = false;
    for (Route route : routes) {
      Map<String, String> vars = match(route.segments(), path);
      if (vars == null) {
        continue;
      }
      pathKnown = true;
      if (!route.method().equals(request.method())) {
        continue;
      }
      Caller caller = route.signedIn() ? authenticate(request) : null;
      return route.handler().handle(request, vars, caller);
    }
    if (pathKnown) {
      throw new ApiException(405, "MethodNotAllowed", request.method() + " is not served on " + request.path());
    }
    throw ApiException.notFound("no such path: " + request.path() + " (the API is described at /openapi.yaml)");
  }

  private Caller authenticate(Request request) {
    String header = request.header("authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
      throw new ApiException(401, "Unauthorized", "sign in with a bearer token the cluster's API server accepts"
          + " (Authorization: Bearer <token>), e.g. the token of your kubeconfig or an OIDC token");
    }
    try {
      return authenticator.authenticate(header.substring(7).trim());
    } catch (UnauthenticatedException e) {
      throw new ApiException(401, "Unauthorized", e.getMessage());
    } catch (AccessUnavailableException e) {
      throw ApiException.unavailable(e.getMessage());
    }
  }

  private static Map<String, String> match(String[] pattern, String[] path) {
    if (pattern.length != path.length) {
      return null;
    }
    Map<String, String> vars = new HashMap<>();
    for (int i = 0; i < pattern.length; i++) {
      String part = pattern[i];
      if (part.startsWith("{") && part.endsWith("}")) {
        if (path[i].isEmpty()) {
          return null;
        }
        vars.put(part.substring(1, part.length() - 1), path[i]);
      } else if (!part.equals(path[i])) {
        return null;
      }
    }
    return vars;
  }
}
