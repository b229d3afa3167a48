package dev.tessera.console.api;

import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Router;
import java.util.Map;

/**
 * The API's description: {@code /openapi.yaml}, and {@code /docs/} to browse it with Swagger UI,
 * served from the swagger-ui WebJar in the jar (nothing is fetched at run time).
 */
final class DocsRoutes {
  static final String OPENAPI = "/dev/tessera/console/openapi.yaml";
  private static final String DOCS_PAGE = "/dev/tessera/console/docs.html";
  /** The WebJar's files the page uses, and their types; nothing else of the jar is served. */
  private static final Map<String, String> SWAGGER_FILES = Map.of(
      "swagger-ui-bundle.js", "text/javascript",
      "swagger-ui-standalone-preset.js", "text/javascript",
      "swagger-ui.css", "text/css",
      "favicon-32x32.png", "image/png");

  private final String swaggerRoot;

  DocsRoutes() {
    this.swaggerRoot = "/META-INF/resources/webjars/swagger-ui/"
        + ClassPathFiles.version("org.webjars", "swagger-ui") + "/";
  }

  void register(Router router) {
    router.open("GET", "/openapi.yaml", (request, vars, caller) ->
        new Reply.Full(200, "application/yaml", ClassPathFiles.read(OPENAPI), Map.of()));
    router.open("GET", "/docs", (request, vars, caller) ->
        new Reply.Full(301, "text/plain", new byte[0], Map.of("Location", "/docs/")));
    router.open("GET", "/docs/", (request, vars, caller) ->
        new Reply.Full(200, "text/html; charset=utf-8", ClassPathFiles.read(DOCS_PAGE), Map.of()));
    router.open("GET", "/docs/{file}", (request, vars, caller) -> {
      String type = SWAGGER_FILES.get(vars.get("file"));
      if (type == null) {
        throw ApiException.notFound("no such file: /docs/" + vars.get("file"));
      }
      return new Reply.Full(200, type, ClassPathFiles.read(swaggerRoot + vars.get("file")),
          Map.of("Cache-Control", "max-age=86400"));
    });
  }
}
