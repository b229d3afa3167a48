package dev.tessera.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line a user meets: help, refusals of bad options, and a clear startup failure. */
class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine command = Main.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    return command.execute(args);
  }

  @Test
  void helpSaysItServesAClusterAndWhereTheDemoIs() {
    assertEquals(0, run("--help"));
    String help = out.toString();
    assertTrue(help.contains("--kubeconfig") && !help.contains("--embedded"), help);
    assertTrue(help.contains("serves that cluster"), help);
    assertTrue(help.replaceAll("\\s+", " ").contains("java -jar demo/target/tessera-demo.jar"), help);
  }

  @Test
  void badOptionValuesAreRefusedWithTheReason() {
    assertEquals(2, run("--placement-strategy", "tightest"));
    assertTrue(err.toString().contains("use binpack or spread"), err.toString());

    assertEquals(2, run("--bind-timeout", "soon"));
    assertTrue(err.toString().contains("--bind-timeout"), err.toString());
  }

  @Test
  void anAdmissionCertificateWithoutItsKeyIsRefused() {
    assertEquals(2, run("--admission-cert", "tls.crt"));
    assertTrue(err.toString().contains("--admission-key"), err.toString());
  }
}
