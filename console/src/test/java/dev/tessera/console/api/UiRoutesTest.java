package dev.tessera.console.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.console.access.DemoUsers;
import dev.tessera.console.http.ApiException;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Request;
import dev.tessera.console.http.Router;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The web UI's files: served from the jar without sign-in, and nothing else of the class path. */
class UiRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Router router = router(UiRoutes.logins(DemoUsers.forDemo()));

  private static Router router(List<UiRoutes.DemoLogin> logins) {
    Router router = new Router(token -> {
      throw new AssertionError("the UI's files need no sign-in");
    });
    new UiRoutes("demo", logins, JSON).register(router);
    return router;
  }

  private Reply.Full get(Router on, String path) throws Exception {
    return (Reply.Full) on.handle(new Request("GET", path, Map.of(), Map.of(), new byte[0]));
  }

  @Test
  void thePageAndEveryModuleItImportsAreServed() throws Exception {
    Reply.Full page = get(router, "/ui/");
    assertEquals(200, page.status());
    assertTrue(page.contentType().startsWith("text/html"));
    String html = new String(page.body(), StandardCharsets.UTF_8);
    // Every file the import map and the page name is there, with a type a browser runs.
    Matcher referenced = Pattern.compile("\"(/ui/[^\"]+)\"").matcher(html);
    int files = 0;
    while (referenced.find()) {
      Reply.Full file = get(router, referenced.group(1));
      assertEquals(200, file.status(), referenced.group(1));
      assertTrue(file.contentType().startsWith("text/javascript") || file.contentType().startsWith("text/css"),
          referenced.group(1) + " is " + file.contentType());
      files++;
    }
    assertEquals(7, files, "the page names its stylesheets, its import map's four libraries and app.js");
    // And every module the scripts import from each other.
    for (String module : List.of("app.js", "table.js", "details.js", "form.js", "charts.js")) {
      String script = new String(get(router, "/ui/" + module).body(), StandardCharsets.UTF_8);
      Matcher imports = Pattern.compile("from '\\./([a-z-]+\\.js)'").matcher(script);
      while (imports.find()) {
        assertEquals(200, get(router, "/ui/" + imports.group(1)).status(), module + " imports " + imports.group(1));
      }
    }
    assertEquals(302, get(router, "/").status());
    assertEquals("/ui/", get(router, "/").headers().get("Location"));
  }

  @Test
  void onlyThePagesOwnFilesAndTheNamedLibrariesAreServed() {
    for (String path : List.of("/ui/openapi.yaml", "/ui/..%2Fopenapi.yaml", "/ui/lib/pom.properties",
        "/ui/lib/preact.module.js", "/ui/lib/.hidden")) {
      ApiException refused = assertThrows(ApiException.class, () -> get(router, path), path);
      assertEquals(404, refused.code(), path);
    }
  }

  @Test
  void theDemosUsersAreOfferedOnlyByTheDemo() throws Exception {
    JsonNode demo = JSON.readTree(get(router, "/ui/config.json").body());
    assertEquals("demo", demo.path("cluster").asText());
    assertEquals(4, demo.path("demoUsers").size());
    assertEquals("tessera-demo-bob", demo.path("demoUsers").get(2).path("token").asText());
    assertTrue(demo.path("demoUsers").get(2).path("roles").asText().contains("viewer in team-nlp"));

    JsonNode cluster = JSON.readTree(get(router(List.of()), "/ui/config.json").body());
    assertEquals(0, cluster.path("demoUsers").size());
  }
}
