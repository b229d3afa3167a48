package dev.tessera.demo.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tessera.console.testing.RealPrometheus;
import dev.tessera.demo.EmbeddedDemo;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * deploy/monitoring's dashboard and alerts against a real Prometheus (Debian's package) scraping the
 * demo's extender and a node agent on simulated A100s, reporting to it: every dashboard query
 * returns data, every series an alert reads exists, and promtool's own tests make each alert fire
 * when it should and only then. Skipped, saying so, where prometheus is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoringQueriesTest {
  private static final Path MONITORING = Path.of(System.getProperty("tessera.deploy.dir", "../deploy"), "monitoring");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What Grafana puts for the dashboard's variables when "All" is chosen, and for its rate window. */
  private static final List<String[]> VARIABLES = List.of(
      new String[] {"$__rate_interval", "30s"}, new String[] {"$pool", ".*"}, new String[] {"$node", ".*"});
  private static final Pattern METRIC = Pattern.compile("\\b((?:tessera|DCGM)_[A-Za-z0-9_]+)");

  private EmbeddedDemo.Running demo;
  private Process agent;
  private Path agentLog;
  private RealPrometheus prometheus;

  @BeforeAll
  void scrapeTheDemoAndAnAgent() throws Exception {
    Assumptions.assumeTrue(RealPrometheus.missing().isEmpty(), () -> RealPrometheus.missing().get());
    demo = new EmbeddedDemo(ExtenderConfig.defaults().withPort(0), ReportConfig.defaults().withPort(0),
        Duration.ofMinutes(5), 0, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
        .start();
    int agentPort = RealPrometheus.freePort();
    agentLog = Files.createTempFile("tessera-agent-", ".log");
    agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
            System.getProperty("tessera.node-agent.jar", "../node-agent/target/tessera-node-agent.jar"),
            "--node-name", "gpu-a100-01", "--simulate", "8xNVIDIA-A100-SXM4-80GB:81920",
            "--extender", "127.0.0.1:" + demo.reportPort(), "--metrics-port", Integer.toString(agentPort),
            "--no-device-plugin")
        .redirectErrorStream(true).redirectOutput(agentLog.toFile()).start();
    // A GPU that falls off the bus (XID 79), typed on the simulated agent's console: the health
    // and XID series the alerts read then exist, as on a node where it happened.
    agent.getOutputStream().write("xid 3 79\n".getBytes(StandardCharsets.UTF_8));
    agent.getOutputStream().flush();
    URI extender = demo.extender();
    prometheus = RealPrometheus.start("""
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: [tessera-alerts.rules.yaml]
        scrape_configs:
          - job_name: tessera-extender
            static_configs: [{targets: ['%s']}]
          - job_name: tessera-node-agent
            static_configs: [{targets: ['127.0.0.1:%d']}]
        """.formatted(extender.getHost() + ":" + extender.getPort(), agentPort),
        List.of(new RealPrometheus.NamedFile("tessera-alerts.rules.yaml", rules())));
    // Both scraped, and long enough for a rate over 30 s to have two samples.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (prometheus.query("up == 1").size() < 2
        || prometheus.query("tessera_agent_report_accepted_sample_timestamp_seconds > 0").isEmpty()
        || prometheus.query("tessera_gpu_xid_errors_total").isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Prometheus did not scrape both, the agent's reports were not accepted, or its XID"
            + " did not show: up = "
            + prometheus.query("up") + "\nagent log:\n" + Files.readString(agentLog));
      }
      Thread.sleep(500);
    }
    Thread.sleep(5_000);
  }

  @AfterAll
  void stop() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    if (agent != null) {
      agent.destroy();
      agent.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(agentLog);
    }
    if (demo != null) {
      demo.close();
    }
  }

  @Test
  void everyDashboardQueryReturnsData() throws Exception {
    JsonNode dashboard = JSON.readTree(MONITORING.resolve("tessera-dashboard.json").toFile());
    List<String> empty = new ArrayList<>();
    int queries = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = substitute(target.path("expr").asText());
        queries++;
        if (prometheus.query(expr).isEmpty()) {
          empty.add(panel.path("title").asText() + ": " + expr);
        }
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      Matcher values = Pattern.compile("label_values\\((.+), *([A-Za-z_]+)\\)")
          .matcher(variable.path("definition").asText());
      if (values.matches()) {
        queries++;
        if (prometheus.query("count by (" + values.group(2) + ") (" + values.group(1) + ")").isEmpty()) {
          empty.add("variable " + variable.path("name").asText() + ": " + values.group(0));
        }
      }
    }
    assertTrue(queries >= 10, "the dashboard has its panels: " + queries);
    assertEquals(List.of(), empty, "queries that return nothing");
  }

  @Test
  void everySeriesTheAlertsReadExistsAndPromtoolsTestsPass() throws Exception {
    JsonNode groups = new YAMLMapper().readTree(MONITORING.resolve("tessera-alerts.yaml").toFile())
        .path("spec").path("groups");
    Set<String> read = new TreeSet<>();
    for (JsonNode group : groups) {
      for (JsonNode rule : group.path("rules")) {
        Matcher metric = METRIC.matcher(rule.path("expr").asText());
        while (metric.find()) {
          read.add(metric.group(1));
        }
        // Valid PromQL that Prometheus evaluates now (firing or not).
        prometheus.query(rule.path("expr").asText());
      }
    }
    assertFalse(read.isEmpty());
    for (String metric : read) {
      assertFalse(prometheus.query("count({__name__=\"" + metric + "\"})").isEmpty(),
          metric + " is read by an alert but neither the extender nor the agent exports it");
    }
    // Loaded by the scraping Prometheus without complaint, and each alert fires when it should.
    assertFalse(prometheus.query("ALERTS").isMissingNode());
    Path dir = Files.createTempDirectory("tessera-rules-");
    try {
      Files.writeString(dir.resolve("tessera-alerts.rules.yaml"), rules());
      Files.copy(MONITORING.resolve("tessera-alerts.test.yaml"), dir.resolve("tessera-alerts.test.yaml"));
      RealPrometheus.ToolResult check = RealPrometheus.promtool(dir, "check", "rules", "tessera-alerts.rules.yaml");
      assertEquals(0, check.exitCode(), check.output());
      RealPrometheus.ToolResult test = RealPrometheus.promtool(dir, "test", "rules", "tessera-alerts.test.yaml");
      assertEquals(0, test.exitCode(), test.output());
    } finally {
      try (var files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(dir);
    }
  }

  /** The PrometheusRule's spec: a plain Prometheus rule file. */
  private static String rules() throws IOException {
    JsonNode rule = new YAMLMapper().readTree(MONITORING.resolve("tessera-alerts.yaml").toFile());
    return new YAMLMapper().writeValueAsString(rule.path("spec"));
  }

  private static String substitute(String expr) {
    String out = expr;
    for (String[] variable : VARIABLES) {
      out = out.replace(variable[0], variable[1]);
    }
    return out;
  }
}
