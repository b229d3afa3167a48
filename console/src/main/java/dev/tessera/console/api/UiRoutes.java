package dev.tessera.console.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.console.access.DemoUsers;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Router;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Workloads view: the web UI's page and scripts at {@code /ui/}, and the libraries it imports
 * (Preact, htm, uPlot) at {@code /ui/lib/} from their jars. Everything is read from the class path
 * once, at start, so a missing file fails the start rather than a user's page load; nothing is
 * fetched from the internet. The page signs in with a bearer token and then uses the API like any
 * other client.
 */
final class UiRoutes {
  private static final String UI_ROOT = "/dev/tessera/console/ui/";
  /** The page's own files, as the build puts them in the jar. */
  private static final List<String> UI_FILES = List.of("index.html", "app.css", "app.js", "api.js", "format.js",
      "columns.js", "table.js", "details.js", "charts.js", "form.js", "icons.js", "widgets.js");
  private static final Pattern FILE_NAME = Pattern.compile("[a-zA-Z0-9.-]+");
  /** Revalidated on every load: a new console's page must not run with an old one's scripts. */
  private static final String PAGE_CACHE = "no-cache";
  /** Pinned by version in the jar: cached for a day. */
  private static final String LIBRARY_CACHE = "max-age=86400";

  private final Map<String, Asset> files = new HashMap<>();
  private final Map<String, Asset> libraries = new HashMap<>();
  private final byte[] config;

  /** A file served, and its type. */
  private record Asset(String type, byte[] bytes) {}

  /**
   * What the page learns before sign-in.
   *
   * @param cluster the cluster's name, for the header
   * @param demoUsers the embedded demo's users, offered on the sign-in page; empty on a cluster
   */
  record Config(String cluster, List<DemoLogin> demoUsers) {}

  /** A demo user the sign-in page offers, with the roles they hold said in words. */
  record DemoLogin(String name, String token, String roles) {}

  UiRoutes(String cluster, List<DemoLogin> demoUsers, ObjectMapper json) {
    for (String name : UI_FILES) {
      files.put(name, new Asset(type(name), ClassPathFiles.read(UI_ROOT + name)));
    }
    String preact = "/META-INF/resources/webjars/preact/" + ClassPathFiles.version("org.webjars.npm", "preact") + "/";
    String uplot = "/META-INF/resources/webjars/uplot/" + ClassPathFiles.version("org.webjars.npm", "uplot") + "/dist/";
    String htm = "/META-INF/resources/_static/htm/" + ClassPathFiles.version("org.mvnpm", "htm") + "/dist/";
    library("preact.mjs", preact + "dist/preact.module.js");
    library("hooks.mjs", preact + "hooks/dist/hooks.module.js");
    library("htm.mjs", htm + "htm.module.js");
    library("uPlot.mjs", uplot + "uPlot.esm.js");
    library("uPlot.css", uplot + "uPlot.min.css");
    try {
      this.config = json.writeValueAsBytes(new Config(cluster, List.copyOf(demoUsers)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("the UI's config always writes as JSON", e);
    }
  }

  /** The demo's users as the sign-in page offers them. */
  static List<DemoLogin> logins(DemoUsers users) {
    return users.users().stream().map(user -> new DemoLogin(user.name(), user.token(), user.grants().stream()
        .map(grant -> grant.clusterRole() + (grant.namespace() == null ? " everywhere" : " in " + grant.namespace()))
        .reduce((a, b) -> a + ", " + b).orElse("no role"))).toList();
  }

  void register(Router router) {
    router.open("GET", "/", (request, vars, caller) -> redirect("/ui/"));
    router.open("GET", "/ui", (request, vars, caller) -> redirect("/ui/"));
    router.open("GET", "/ui/", (request, vars, caller) -> serve(files.get("index.html"), PAGE_CACHE));
    router.open("GET", "/ui/config.json", (request, vars, caller) ->
        new Reply.Full(200, "application/json", config, Map.of("Cache-Control", "no-store")));
    router.open("GET", "/ui/{file}", (request, vars, caller) -> serve(find(files, vars.get("file")), PAGE_CACHE));
    router.open("GET", "/ui/lib/{file}", (request, vars, caller) ->
        serve(find(libraries, vars.get("file")), LIBRARY_CACHE));
  }

  private void library(String name, String path) {
    libraries.put(name, new Asset(type(name), ClassPathFiles.read(path)));
  }

  private static Asset find(Map<String, Asset> assets, String name) {
    Asset asset = FILE_NAME.matcher(name).matches() ? assets.get(name) : null;
    if (asset == null) {
      throw ApiException.notFound("no such file of the web UI: " + name);
    }
    return asset;
  }

  private static Reply serve(Asset asset, String cache) {
    return new Reply.Full(200, asset.type(), asset.bytes(),
        Map.of("Cache-Control", cache, "X-Content-Type-Options", "nosniff"));
  }

  private static Reply redirect(String to) {
    return new Reply.Full(302, "text/plain", new byte[0], Map.of("Location", to));
  }

  private static String type(String name) {
    if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    if (name.endsWith(".js") || name.endsWith(".mjs")) {
      return "text/javascript; charset=utf-8";
    }
    throw new IllegalArgumentException("no type known for " + name);
  }
}
