package dev.tessera.extender.http;

import io.netty.handler.codec.http.HttpMethod;

/** The paths the extender serves. kube-scheduler posts to {@code <urlPrefix>/<verb>}. */
enum Route {
  FILTER("/filter", HttpMethod.POST, true),
  PRIORITIZE("/prioritize", HttpMethod.POST, true),
  BIND("/bind", HttpMethod.POST, true),
  PREEMPT("/preempt", HttpMethod.POST, true),
  HEALTHZ("/healthz", HttpMethod.GET, false),
  READYZ("/readyz", HttpMethod.GET, false),
  SYNCEDZ("/syncedz", HttpMethod.GET, false),
  METRICS("/metrics", HttpMethod.GET, false);

  /** Tag value on metrics for a request to no known path. */
  static final String NO_ROUTE_TAG = "none";

  private final String path;
  private final HttpMethod method;
  private final boolean extenderVerb;
  private final String tag;

  Route(String path, HttpMethod method, boolean extenderVerb) {
    this.path = path;
    this.method = method;
    this.extenderVerb = extenderVerb;
    this.tag = path.substring(1);
  }

  /** The route for a request URI (query ignored), or null when nothing is served there. */
  static Route of(String uri) {
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    return switch (path) {
      case "/filter" -> FILTER;
      case "/prioritize" -> PRIORITIZE;
      case "/bind" -> BIND;
      case "/preempt" -> PREEMPT;
      case "/healthz" -> HEALTHZ;
      case "/readyz" -> READYZ;
      case "/syncedz" -> SYNCEDZ;
      case "/metrics" -> METRICS;
      default -> null;
    };
  }

  String path() {
    return path;
  }

  HttpMethod method() {
    return method;
  }

  /** One of kube-scheduler's extender verbs, as opposed to health and metrics. */
  boolean extenderVerb() {
    return extenderVerb;
  }

  /** The verb as a metrics tag value: {@code filter}, {@code bind}… */
  String tag() {
    return tag;
  }
}
