package dev.tessera.demo.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.workloads.TrainingResource;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.ConsoleJson;
import dev.tessera.console.access.DemoUsers;
import dev.tessera.console.api.ConsoleApi;
import dev.tessera.console.catalog.ProjectDirectory;
import dev.tessera.console.catalog.RowBuilder;
import dev.tessera.console.catalog.WorkloadCatalog;
import dev.tessera.console.history.NoHistory;
import dev.tessera.console.http.ConsoleServer;
import dev.tessera.console.testing.Browser;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ten thousand workloads in the Workloads view: the page holds only the rows in view, pages the
 * rest from the server as it scrolls, and reaches the last row. The console here is the real
 * router and server over a catalog fed directly, as the table benchmark feeds it: a mock API
 * server would take minutes to hold 10,000 objects.
 */
class LargeTableBrowserTest {
  private static final int WORKLOADS = 10_000;

  private static WorkloadCatalog catalog;
  private static ProjectDirectory projects;
  private static ConsoleServer server;
  private static ExecutorService threads;
  private static ScheduledExecutorService timer;

  @BeforeAll
  static void serveTenThousandWorkloads() throws Exception {
    Assumptions.assumeTrue(Browser.missing().isEmpty(), () -> "browser tests skipped: " + Browser.missing().get());
    ObjectMapper json = ConsoleJson.mapper();
    catalog = new WorkloadCatalog(new RowBuilder("load"), new NoHistory(), json, Clock.systemUTC(), Duration.ofDays(1));
    projects = new ProjectDirectory();
    Instant start = Instant.parse("2026-11-01T00:00:00Z");
    for (int w = 0; w < WORKLOADS; w++) {
      TrainingResource training = new TrainingResource();
      training.setMetadata(new ObjectMetaBuilder().withNamespace("team-" + (w % 50))
          .withName(String.format("job-%05d", w)).withUid("uid-" + w)
          .withCreationTimestamp(start.plusSeconds(w).toString()).build());
      training.setSpec(new WorkloadSpec("pytorch:24.08", null, null, null,
          new WorkloadSpec.GpuSpec(1 + w % 8, null, null, null, null, null), "4", null, "32Gi", null, null, null,
          null, null, null, null));
      training.setStatus(new WorkloadStatus(w % 4 == 0 ? "Pending" : "Running", null, null, 0, 1, null, null, null,
          null, null, null, null, null, null, null, null, 1L));
      catalog.workloadChanged(training);
    }
    CountDownLatch fed = new CountDownLatch(1);
    catalog.afterPending(fed::countDown);
    assertTrue(fed.await(2, TimeUnit.MINUTES));
    threads = Executors.newCachedThreadPool();
    timer = Executors.newSingleThreadScheduledExecutor();
    DemoUsers users = DemoUsers.forDemo();
    server = new ConsoleServer(0, ConsoleApi.router(new ConsoleApi.Parts(catalog, projects, new NoHistory(), null, users,
        users, null, false, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), json, Clock.systemUTC(),
        () -> true, threads, threads, timer, "load")), json);
    server.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
      threads.shutdownNow();
      timer.shutdownNow();
      projects.close();
      catalog.close();
    }
  }

  @Test
  void tenThousandRowsScrollWithOnlyTheVisibleOnesInThePage() throws Exception {
    try (Browser browser = Browser.open()) {
      browser.signInAs("http://localhost:" + server.port(), "admin");
      browser.until(d -> browser.find("[data-test=total]").getText().equals("10000 workloads"));
      browser.find("th button[data-column=name]").click();
      browser.until(d -> "job-00000".equals(firstRow(browser)));
      int rendered = browser.all("tbody tr[data-uid]").size();
      assertTrue(rendered < 60, rendered + " rows in the page for a 800-pixel table");

      // Scrolled to the end, the page asks for the rows it lacks and shows the last one.
      browser.script("document.querySelector('.table-frame').scrollTop = 1e9");
      browser.until(d -> !browser.all("tr[data-name='job-09999']").isEmpty());
      rendered = browser.all("tbody tr[data-uid]").size();
      assertTrue(rendered < 60, rendered + " rows in the page at the end of the table");
      long height = (Long) browser.script("return document.querySelector('.table-frame').scrollHeight");
      assertTrue(height > WORKLOADS * 30L, "the scrollbar spans every row: " + height);

      // And back to the middle, without a gap.
      browser.script("const f = document.querySelector('.table-frame'); f.scrollTop = f.scrollHeight / 2");
      browser.until(d -> !browser.all("tr[data-name^='job-04']").isEmpty() || !browser.all("tr[data-name^='job-05']").isEmpty());
      List<String> names = browser.all("tbody tr[data-uid]").stream().map(tr -> tr.getAttribute("data-name")).toList();
      for (int i = 1; i < names.size(); i++) {
        assertEquals(Integer.parseInt(names.get(i - 1).substring(4)) + 1, Integer.parseInt(names.get(i).substring(4)),
            "consecutive rows: " + names);
      }
    }
  }

  private static String firstRow(Browser browser) {
    var rows = browser.all("tbody tr[data-uid]");
    return rows.isEmpty() ? null : rows.get(0).getAttribute("data-name");
  }
}
