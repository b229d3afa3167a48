package dev.tessera.demo.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.WellKnown;
import dev.tessera.api.workloads.ExternalWorkloadResource;
import dev.tessera.api.workloads.ExternalWorkloadSpec;
import dev.tessera.api.workloads.WorkloadStatus;
import dev.tessera.console.testing.Browser;
import dev.tessera.demo.EmbeddedDemo;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/**
 * The Workloads view in a real headless Chromium against the embedded demo: the same page, API,
 * admission and workload controller a newcomer gets from the README's first command. Each test
 * clicks through what a user does and watches the page answer. The screenshots in docs/ are taken
 * here: run with {@code -Dtessera.screenshots=<folder>} to write them there (by default they go
 * to target/screenshots).
 */
class WorkloadsViewBrowserTest {
  /** Long enough for the demo's controller and simulated kubelet to stop and restart pods. */
  private static final Duration LIFECYCLE = Duration.ofSeconds(90);

  private static EmbeddedDemo.Running demo;
  private static String console;
  private static Path screenshots;
  private Browser browser;

  @BeforeAll
  static void startTheDemo() throws Exception {
    Assumptions.assumeTrue(Browser.missing().isEmpty(), () -> "browser tests skipped: " + Browser.missing().get());
    demo = new EmbeddedDemo(ExtenderConfig.defaults().withPort(0), ReportConfig.defaults().withPort(0),
        Duration.ofMinutes(5), 0, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
        .start();
    console = demo.workloadsApi().toString();
    screenshots = Path.of(System.getProperty("tessera.screenshots", "target/screenshots"));
  }

  @AfterAll
  static void stopTheDemo() {
    if (demo != null) {
      demo.close();
    }
  }

  @BeforeEach
  void openTheBrowser() throws Exception {
    browser = Browser.open();
  }

  @AfterEach
  void closeTheBrowser() throws Exception {
    browser.close();
  }

  @Test
  void filtersSortsPicksColumnsAndDownloadsWhatIsShown() throws Exception {
    browser.signInAs(console, "admin");
    waitForRows(4);
    browser.screenshot(screenshots.resolve("workloads-table.png"));

    // A filter on the project leaves team-nlp's two workloads, and shows as a chip.
    browser.button("Add filter").click();
    new Select(browser.find("[data-test=filter-column]")).selectByValue("project");
    new Select(browser.find("[data-test=filter-operator]")).selectByValue("==");
    browser.find("[data-test=filter-value]").sendKeys("team-nlp");
    browser.find("[data-test=filter-add]").click();
    assertTrue(browser.find("[data-test=chip]").getText().contains("team-nlp"));
    // A second filter, on a number: together they leave team-nlp's workloads of under 10 GPUs.
    browser.button("Add filter").click();
    new Select(browser.find("[data-test=filter-column]")).selectByValue("gpuComputeRequest");
    new Select(browser.find("[data-test=filter-operator]")).selectByValue("<");
    browser.find("[data-test=filter-value]").sendKeys("10");
    browser.find("[data-test=filter-add]").click();
    browser.until(d -> browser.all("[data-test=chip]").size() == 2);
    assertEquals(List.of("bert-pretrain", "llama-serve"), sortedNames(rowNames(2)));

    // The pods count opens the pods, each with its node and GPUs.
    browser.find("tr[data-name='bert-pretrain'] td[data-column=runningPods] button").click();
    browser.until(d -> browser.all("[data-test=pods] tbody tr").size() == 3);
    assertTrue(browser.find("[data-test=pods] tbody tr").getText().contains("gpu-"),
        browser.find("[data-test=pods]").getText());
    browser.button("Close").click();

    // Sort by name, both ways.
    browser.find("th button[data-column=name]").click();
    assertEquals(List.of("bert-pretrain", "llama-serve"), rowNames(2));
    browser.find("th button[data-column=name]").click();
    browser.until(d -> rowNames(2).equals(List.of("llama-serve", "bert-pretrain")));

    // Columns: drop "Created by", add "Image"; the choice outlives a reload.
    browser.button("Columns").click();
    browser.find("input[data-column=createdBy]").click();
    browser.find("input[data-column=image]").click();
    browser.find("[data-test=search]").click(); // closes the picker
    assertTrue(headers().contains("image") && !headers().contains("createdBy"), headers().toString());
    browser.driver().navigate().refresh();
    waitForRows(4);
    assertTrue(headers().contains("image") && !headers().contains("createdBy"), headers().toString());

    // The CSV has the shown columns, in their order, and only the rows the search leaves.
    browser.find("[data-test=search]").sendKeys("llama");
    waitForRows(1);
    browser.find("[data-test=csv]").click();
    List<String> csv = Files.readAllLines(browser.downloaded("workloads.csv"));
    assertEquals(2, csv.size(), csv.toString());
    // The API's CSV names its columns as Run:ai's does ("Environment" is the image).
    assertTrue(csv.get(0).startsWith("Name,Type,Status,Project,Running pods,Requested pods,"), csv.get(0));
    assertTrue(csv.get(0).contains(",Environment") && !csv.get(0).contains("Created by"), csv.get(0));
    assertTrue(csv.get(1).startsWith("llama-serve,inference,"), csv.get(1));
  }

  @Test
  void stopAndRunChangeTheStatusLive() {
    browser.signInAs(console, "alice");
    WebElement row = rowOf("vit-finetune");
    browser.until(d -> status("vit-finetune").equals("Running"));
    row.click();
    browser.until(d -> enabled("Stop"));
    browser.button("Stop").click();
    // Nothing is reloaded: the change arrives over the API's watch.
    waitLong(() -> status("vit-finetune").equals("Stopped"));
    assertFalse(enabled("Stop"));
    // Filtered to stopped workloads, running it again takes it out of the table, live.
    browser.button("Add filter").click();
    new Select(browser.find("[data-test=filter-column]")).selectByValue("status");
    browser.find("[data-test=filter-value]").sendKeys("Stopped");
    browser.find("[data-test=filter-add]").click();
    waitForRows(1);
    rowOf("vit-finetune").click();
    browser.until(d -> enabled("Run"));
    browser.button("Run").click();
    waitLong(() -> browser.all("tr[data-name='vit-finetune']").isEmpty());
    browser.find("[data-test=chip] button").click();
    waitLong(() -> status("vit-finetune").equals("Running"));
  }

  @Test
  void detailsShowEventsAndAMetricsChartWithData() throws Exception {
    browser.signInAs(console, "alice");
    rowOf("vit-finetune").click();
    browser.button("Show details").click();
    browser.find("[data-test=details]");
    browser.until(d -> !browser.all("[data-test=events] tbody tr").isEmpty());
    assertNotNull(browser.find("[data-test=timeline] span"));

    browser.find("button[data-tab=metrics]").click();
    WebElement chart = browser.find("[data-test='chart-gpu_utilization_percent']");
    browser.until(d -> Integer.parseInt(chart.getAttribute("data-points")) > 0);
    assertNotNull(chart.findElement(By.cssSelector("canvas")));
    List<String> legend = chart.findElements(By.cssSelector(".u-legend .u-series .u-label")).stream()
        .map(WebElement::getText).toList();
    assertTrue(legend.contains("Average") && legend.stream().anyMatch(l -> l.startsWith("GPU ")), legend.toString());
    browser.screenshot(screenshots.resolve("workload-details.png"));

    // A legend entry hides its line; dragging across zooms every chart until Reset zoom.
    WebElement firstGpu = chart.findElements(By.cssSelector(".u-legend .u-series")).get(1);
    firstGpu.click();
    browser.until(d -> firstGpu.getAttribute("class").contains("u-off"));
    WebElement over = chart.findElement(By.cssSelector(".u-over"));
    new Actions(browser.driver()).moveToElement(over, -120, 0).clickAndHold().moveByOffset(200, 0).release().perform();
    browser.until(d -> browser.find("[data-test=reset-zoom]").isEnabled());
    browser.find("[data-test=reset-zoom]").click();
    browser.until(d -> !browser.find("[data-test=reset-zoom]").isEnabled());

    // The pod's log, searched.
    browser.find("button[data-tab=logs]").click();
    browser.until(d -> browser.find("[data-test=log]").getText().contains("loss"));
    browser.find("input[aria-label='Search the log']").sendKeys("step");
    browser.until(d -> !browser.all("[data-test=log] mark").isEmpty());

    // The history filters by category.
    browser.find("button[data-tab=history]").click();
    new Select(browser.find("[data-test=history-category]")).selectByValue("status");
    browser.until(d -> browser.all("[data-test=events] tbody tr td:nth-child(2)").stream()
        .allMatch(td -> td.getText().equals("status")) && !browser.all("[data-test=events] tbody tr").isEmpty());
  }

  @Test
  void aNewWorkloadIsCheckedAgainstThePolicyFixedAndSubmitted() throws Exception {
    browser.signInAs(console, "alice");
    waitForRows(2);
    browser.find("[data-test=new]").click();
    WebElement form = browser.find("[data-test=workload-form]");
    new Select(form.findElement(By.name("kind"))).selectByValue("trainings");
    // The project's policy fills in its defaults.
    browser.until(d -> !form.findElement(By.name("image")).getAttribute("value").isEmpty());
    form.findElement(By.name("name")).sendKeys("resnet-sweep");
    form.findElement(By.cssSelector("input[name=gpuMode][value=whole]")).click();
    WebElement count = browser.find("input[name=gpuCount]");
    count.sendKeys(Keys.chord(Keys.CONTROL, "a"), "4");
    // Checked before submitting: the violation shows on the GPU field.
    WebElement gpuError = browser.find("[data-field='spec.gpu'] .field-error");
    assertTrue(gpuError.getText().contains("4"), gpuError.getText());
    browser.script("arguments[0].scrollIntoView({block: 'center'})", gpuError);
    browser.screenshot(screenshots.resolve("new-workload.png"));
    browser.find("[data-test=submit]").click();
    browser.find("[data-field='spec.gpu'] .field-error");

    count.sendKeys(Keys.chord(Keys.CONTROL, "a"), "1");
    browser.until(d -> browser.all("[data-field='spec.gpu'] .field-error").isEmpty());
    browser.find("[data-test=submit]").click();
    browser.until(d -> d.getPageSource().contains("resnet-sweep submitted"));
    rowOf("resnet-sweep");

    // Deleted with a confirmation, it moves to the Deleted view.
    rowOf("resnet-sweep").click();
    browser.until(d -> enabled("Delete"));
    browser.button("Delete").click();
    browser.find("[data-test=confirm-delete]").click();
    waitLong(() -> browser.all("tr[data-name='resnet-sweep']").isEmpty());
    browser.find("[data-test=tab-deleted]").click();
    waitLong(() -> {
      if (browser.all("tr[data-name='resnet-sweep']").isEmpty()) {
        browser.find("[data-test=refresh]").click();
        return false;
      }
      return true;
    });
  }

  @Test
  void aPendingWorkloadSaysWhyOnHover() throws Exception {
    // Nine pods of eight whole GPUs: more than the demo's cluster has.
    HttpResponse<String> submitted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(console + "/api/v1/namespaces/team-nlp/distributedtrainings"))
        .header("Authorization", "Bearer tessera-demo-admin").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"metadata\": {\"name\": \"giant\"}, \"spec\": {\"image\":"
            + " \"nvcr.io/nvidia/pytorch:24.05-py3\", \"framework\": \"pytorch\", \"workers\": 8,"
            + " \"gpu\": {\"count\": 8}}}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, submitted.statusCode(), submitted.body());
    browser.signInAs(console, "admin");
    WebElement status = awaitLong(() -> {
      List<WebElement> cells = browser.all("tr[data-name='giant'] [data-phase=Pending]");
      return cells.isEmpty() || !cells.get(0).getAttribute("title").contains(": ") ? null : cells.get(0);
    });
    // The scheduler's reason, not only a count.
    assertTrue(status.getAttribute("title").startsWith("0 of 9 pods scheduled: "), status.getAttribute("title"));
  }

  @Test
  void connectListsTheAddressesAndCopyAndEditOpensTheFormFilledIn() {
    browser.signInAs(console, "alice");
    rowOf("jupyter-alice").click();
    browser.until(d -> enabled("Connect ▾"));
    browser.find("[data-test=connect]").click();
    assertTrue(browser.find(".menu button").getText().contains("jupyter-alice-connect.team-vision.svc:8888"),
        browser.find(".menu").getText());

    rowOf("vit-finetune").click();
    browser.until(d -> enabled("Copy & edit"));
    browser.button("Copy & edit").click();
    WebElement form = browser.find("[data-test=workload-form]");
    assertEquals("vit-finetune-copy", form.findElement(By.name("name")).getAttribute("value"));
    assertEquals("nvcr.io/nvidia/pytorch:24.05-py3", form.findElement(By.name("image")).getAttribute("value"));
    assertEquals("2", browser.find("input[name=gpuCount]").getAttribute("value"));
    assertEquals("python train.py", form.findElement(By.name("command")).getAttribute("value"));
    browser.until(d -> browser.find("[data-test=check]").getText().contains("would be admitted"));
  }

  @Test
  void theTableWorksFromTheKeyboardAndFollowsTheSystemsDarkMode() {
    browser.signInAs(console, "alice");
    waitForRows(2);
    WebElement table = browser.find(".table-frame");
    table.sendKeys(Keys.ARROW_DOWN);
    browser.until(d -> !browser.all("tr[aria-selected=true]").isEmpty());
    String first = browser.find("tr[aria-selected=true]").getAttribute("data-name");
    table.sendKeys(Keys.ARROW_DOWN);
    browser.until(d -> !first.equals(browser.find("tr[aria-selected=true]").getAttribute("data-name")));
    table.sendKeys(Keys.ENTER);
    browser.find("[data-test=details]");
    browser.driver().switchTo().activeElement().sendKeys(Keys.ESCAPE);
    browser.until(d -> browser.all("[data-test=details]").isEmpty());

    String light = (String) browser.script("return getComputedStyle(document.body).backgroundColor");
    browser.prefersDark();
    browser.until(d -> !light.equals(browser.script("return getComputedStyle(document.body).backgroundColor")));
    assertEquals("rgb(18, 21, 27)", browser.script("return getComputedStyle(document.body).backgroundColor"));
  }

  @Test
  void aViewerSeesButCannotStop() {
    browser.signInAs(console, "bob");
    rowOf("bert-pretrain").click();
    WebElement stop = browser.until(d -> {
      WebElement button = browser.button("Stop");
      return button.getAttribute("title").contains("because") && !button.getAttribute("title").contains("checking")
          ? button : null;
    });
    assertFalse(stop.isEnabled());
    assertTrue(stop.getAttribute("title").contains("does not allow"), stop.getAttribute("title"));
    assertFalse(enabled("Delete"));
    // Said in the bar too, for those who cannot hover a disabled button.
    String denied = browser.find("[data-test=denied]").getText();
    assertTrue(denied.startsWith("Stop, Run, Delete, Copy & edit: ") && denied.contains("does not allow"), denied);
    // What bob may not see is not listed: only team-nlp's workloads.
    assertEquals(List.of("bert-pretrain", "llama-serve"), sortedNames(rowNames(2)));
  }

  /**
   * A Job of alice's, as the external-workload controller (played here, as the demo has none) shows
   * it: an ExternalWorkload owned by the Job, its pod labelled with it (and placed by the demo's
   * scheduler, run by its kubelet, reported by its agents), and its status. The row shows the
   * Job's kind, and every action on it is disabled with what to do to the Job instead; details,
   * metrics and logs work as for the other kinds. Removed at the end, so the other tests' row
   * counts hold.
   */
  @Test
  void anExternalWorkloadShowsItsOwnerAndSaysWhyItsActionsAreTheOwners() throws Exception {
    try (KubernetesClient kubernetes = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder().withMasterUrl(demo.kubernetesApi().toString()).build()).build()) {
      try {
        startAJobAsAnExternalWorkload(kubernetes);
        browser.signInAs(console, "alice");
        WebElement type = browser.find("tr[data-name='job-preprocess'] td[data-column=type] [data-type=external]");
        assertEquals("Job", type.getText());
        assertTrue(type.getAttribute("title").contains("Job preprocess, run by its own controller"),
            type.getAttribute("title"));
        assertNotNull(type.findElement(By.cssSelector("svg.icon")), "its own mark");

        rowOf("job-preprocess").click();
        // Disabled from the row's actions at once; the API's advice once the details arrive.
        WebElement stop = browser.until(d -> {
          WebElement button = browser.button("Stop");
          return button.getAttribute("title").contains("kubectl") ? button : null;
        });
        assertFalse(stop.isEnabled());
        assertEquals("Stop: ExternalWorkload job-preprocess is run by Job preprocess's own controller, not by Tessera:"
            + " stop or delete the Job itself (kubectl -n team-vision delete job preprocess)", stop.getAttribute("title"));
        for (String action : List.of("Run", "Delete", "Copy & edit")) {
          WebElement button = browser.find("button[data-action='" + action + "']");
          assertFalse(button.isEnabled(), action);
          assertEquals("true", button.getAttribute("data-unsupported"), action);
          assertTrue(button.getAttribute("title").startsWith(action + ": ExternalWorkload job-preprocess is run by"
              + " Job preprocess's own controller"), button.getAttribute("title"));
        }
        String note = browser.find("[data-test=unsupported]").getText();
        assertEquals("Stop, Run, Delete, Copy & edit: not here, run by Job preprocess's own controller; act on the"
            + " Job instead", note);
        assertTrue(browser.all("[data-test=denied]").isEmpty(), "not a matter of alice's role");
        assertTrue(enabled("Show details"));

        browser.button("Show details").click();
        WebElement owner = browser.find("[data-test=details] [data-test=owner]");
        browser.until(d -> owner.getText().contains("batch/v1"));
        assertTrue(owner.getText().contains("Job preprocess"), owner.getText());
        browser.until(d -> browser.find("[data-test=details]").getText().contains("Job: its pods, each alone"));
        browser.until(d -> browser.find("[data-test=events]").getText().contains("Running"));
        browser.find("button[data-tab=metrics]").click();
        WebElement chart = browser.find("[data-test='chart-gpu_utilization_percent']");
        waitLong(() -> Integer.parseInt(chart.getAttribute("data-points")) > 0);
        browser.find("button[data-tab=logs]").click();
        waitLong(() -> browser.find("[data-test=log]").getText().contains("started python:3.12 on gpu-"));
      } finally {
        kubernetes.resources(ExternalWorkloadResource.class).inNamespace("team-vision").withName("job-preprocess")
            .delete();
        kubernetes.pods().inNamespace("team-vision").withName("preprocess-x7k2p").delete();
        awaitLong(() -> get("/api/v1/workloads?filterBy=name==job-preprocess", "tessera-demo-admin")
            .contains("\"total\":0") ? Boolean.TRUE : null);
      }
    }
  }

  private static void startAJobAsAnExternalWorkload(KubernetesClient kubernetes) {
    ExternalWorkloadResource external = new ExternalWorkloadResource();
    external.setMetadata(new ObjectMetaBuilder().withNamespace("team-vision").withName("job-preprocess").build());
    external.setSpec(new ExternalWorkloadSpec(new ExternalWorkloadSpec.Owner("batch/v1", "Job", "preprocess",
        "9d1e6c1a-job"), 1, null, "Job: its pods, each alone"));
    ExternalWorkloadResource created = kubernetes.resource(external).create();
    kubernetes.resource(new PodBuilder()
        .withNewMetadata().withNamespace("team-vision").withName("preprocess-x7k2p")
        .addToLabels(WellKnown.WORKLOAD_LABEL, "job-preprocess")
        .addToLabels(WellKnown.WORKLOAD_KIND_LABEL, "external")
        .addToAnnotations(WellKnown.TOP_OWNER_ANNOTATION, "batch/v1/Job/preprocess/9d1e6c1a-job")
        .endMetadata()
        .withNewSpec().withSchedulerName(WellKnown.SCHEDULER_NAME)
        .addNewContainer().withName("main").withImage("python:3.12")
        .withNewResources().addToLimits(WellKnown.GPU_RESOURCE, new Quantity("1")).endResources()
        .endContainer().endSpec()
        .build()).create();
    created.setStatus(new WorkloadStatus("Running", null, List.of(new WorkloadStatus.PhaseChange("Running",
        java.time.Instant.now().toString(), "PodsRunning", "1/1 pods running")), 1, 1, 1.0, 1.0, null, null, null,
        null, null, null, null, null, "PodsRunning", 1L));
    kubernetes.resource(created).updateStatus();
  }

  private static String get(String path, String token) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(console + path))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private WebElement rowOf(String name) {
    return browser.find("tr[data-name='" + name + "']");
  }

  private String status(String name) {
    List<WebElement> cells = browser.all("tr[data-name='" + name + "'] [data-phase]");
    return cells.isEmpty() ? "" : cells.get(0).getAttribute("data-phase");
  }

  private boolean enabled(String action) {
    List<WebElement> buttons = browser.all(action.startsWith("Connect") ? "button[data-test=connect]"
        : "button[data-action='" + action + "']");
    return !buttons.isEmpty() && buttons.get(0).isEnabled();
  }

  private void waitForRows(int count) {
    browser.until(d -> browser.all("tbody tr[data-uid]").size() == count);
  }

  private List<String> rowNames(int count) {
    waitForRows(count);
    return browser.all("tbody tr[data-uid]").stream().map(tr -> tr.getAttribute("data-name")).toList();
  }

  private static List<String> sortedNames(List<String> names) {
    return names.stream().sorted().toList();
  }

  private List<String> headers() {
    return browser.all("th button[data-column]").stream().map(b -> b.getAttribute("data-column")).toList();
  }

  private void waitLong(java.util.function.BooleanSupplier condition) {
    awaitLong(() -> condition.getAsBoolean() ? Boolean.TRUE : null);
  }

  private <T> T awaitLong(java.util.function.Supplier<T> condition) {
    return new org.openqa.selenium.support.ui.WebDriverWait(browser.driver(), LIFECYCLE)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> condition.get());
  }
}
