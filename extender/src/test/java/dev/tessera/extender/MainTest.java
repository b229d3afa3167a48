package dev.tessera.extender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
  void helpExplainsBothModes() {
    assertEquals(0, run("--help"));
    String help = out.toString();
    assertTrue(help.contains("--kubeconfig") && help.contains("--embedded"), help);
    assertTrue(help.contains("self-contained demo"), help);
    assertTrue(help.contains("serves that cluster"), help);
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

  @Test
  void aTakenPortEndsWithOneLineThatSaysWhatToDo() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      int exit = run("--embedded", "--port", Integer.toString(taken.getLocalPort()));
      assertEquals(1, exit);
      assertTrue(err.toString().contains("could not listen on port " + taken.getLocalPort()), err.toString());
      assertTrue(err.toString().contains("--port"), err.toString());
    }
  }
}
