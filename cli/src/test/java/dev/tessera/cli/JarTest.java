package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar as users run it: main class, manifest and bundled dependencies. Only after
 * {@code mvn package} has built it (surefire runs before packaging), so skipped on a clean test run.
 */
class JarTest {
  @Test
  void theShadedJarPrintsItsHelp() throws Exception {
    Path jar = Path.of("target", "tessera.jar");
    assumeTrue(Files.isRegularFile(jar), "target/tessera.jar not built yet: run mvn -pl cli package first");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-jar", jar.toString(), "--help")
        .redirectErrorStream(true)
        .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "java -jar tessera.jar --help did not exit");
    assertEquals(0, process.exitValue(), output);
    assertTrue(output.contains("Usage: tessera"), output);
    for (String command : new String[] {"submit", "list", "describe", "logs", "connect", "stop", "run", "copy", "delete"}) {
      assertTrue(output.contains(command), () -> command + " missing from\n" + output);
    }
  }
}
