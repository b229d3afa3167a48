package dev.tessera.console.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's {@code chromium}, driven through its {@code chromedriver}) at
 * 1280×800, downloading into a folder of its own. Nothing is fetched: the driver is the one on the
 * PATH, never one Selenium Manager would download. Tests that need it skip, saying what is
 * missing, where {@link #missing()} says so.
 */
public final class Browser implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(20);

  private final ChromeDriver driver;
  private final Path downloads;

  private Browser(ChromeDriver driver, Path downloads) {
    this.driver = driver;
    this.downloads = downloads;
  }

  /** The chromium and chromedriver on the PATH, or empty with what is missing. */
  public static Optional<String> missing() {
    if (executable("chromium").isEmpty() && executable("chromium-browser").isEmpty()) {
      return Optional.of("no chromium on the PATH (apt-get install chromium chromium-driver; .ci/run does)");
    }
    if (executable("chromedriver").isEmpty()) {
      return Optional.of("no chromedriver on the PATH (apt-get install chromium-driver; .ci/run does)");
    }
    return Optional.empty();
  }

  public static Browser open() throws IOException {
    Path downloads = Files.createTempDirectory("tessera-ui-downloads");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(executable("chromium").or(() -> executable("chromium-browser")).orElseThrow().toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
        "--disable-gpu", "--lang=en-US");
    Map<String, Object> prefs = new HashMap<>();
    prefs.put("download.default_directory", downloads.toString());
    prefs.put("download.prompt_for_download", false);
    options.setExperimentalOption("prefs", prefs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(executable("chromedriver").orElseThrow().toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().implicitlyWait(Duration.ZERO);
    // --window-size sets the window, toolbars included: grow it until the page itself is 1280×800.
    long innerHeight = (Long) driver.executeScript("return window.innerHeight");
    long innerWidth = (Long) driver.executeScript("return window.innerWidth");
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(
        (int) (2 * 1280 - innerWidth), (int) (2 * 800 - innerHeight)));
    return new Browser(driver, downloads);
  }

  public WebDriver driver() {
    return driver;
  }

  public void get(String url) {
    driver.get(url);
  }

  /** Waits until {@code condition} gives something other than null or false, and returns it. */
  public <T> T until(Function<WebDriver, T> condition) {
    // Rows are re-rendered as data arrives: an element read mid-render is asked for again.
    return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(condition);
  }

  public WebElement find(String css) {
    return until(d -> d.findElements(By.cssSelector(css)).stream().filter(WebElement::isDisplayed).findFirst()
        .orElse(null));
  }

  public List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  /** A button (or tab) by its text. */
  public WebElement button(String text) {
    return until(d -> d.findElements(By.xpath("//button[normalize-space(.)='" + text + "']")).stream()
        .filter(WebElement::isDisplayed).findFirst().orElse(null));
  }

  public Object script(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** As a system set to dark mode: the page's {@code prefers-color-scheme} turns dark. */
  public void prefersDark() {
    driver.executeCdpCommand("Emulation.setEmulatedMedia",
        Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
  }

    /** Signs in on the page's sign-in form as one of the demo's users. */
  public void signInAs(String consoleUrl, String user) {
    get(consoleUrl + "/ui/");
    script("sessionStorage.clear(); localStorage.clear();");
    get(consoleUrl + "/ui/");
    find("button[data-user='" + user + "']").click();
    until(d -> d.findElement(By.cssSelector("[data-test=user]")).getText().equals(user));
  }

  /** Signs in on the page's sign-in form with a bearer token, as a cluster's user does. */
  public void signInWithToken(String consoleUrl, String token, String user) {
    get(consoleUrl + "/ui/");
    script("sessionStorage.clear(); localStorage.clear();");
    get(consoleUrl + "/ui/");
    find("input[name=token]").sendKeys(token);
    button("Sign in").click();
    until(d -> d.findElement(By.cssSelector("[data-test=user]")).getText().equals(user));
  }

  /** Signs out, back to the sign-in page. */
  public void signOut() {
    button("Sign out").click();
    find("input[name=token]");
  }

  /** The file the page downloaded, once it is complete. */
  public Path downloaded(String name) {
    Path file = downloads.resolve(name);
    return until(d -> Files.exists(file) && !Files.exists(downloads.resolve(name + ".crdownload")) ? file : null);
  }

  public void screenshot(Path to) throws IOException {
    Files.createDirectories(to.getParent());
    Files.write(to, driver.getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() throws IOException {
    driver.quit();
    try (Stream<Path> files = Files.walk(downloads)) {
      files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }

  private static Optional<Path> executable(String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
  }
}
