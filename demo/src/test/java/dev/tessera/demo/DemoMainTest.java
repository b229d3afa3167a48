package dev.tessera.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine command = DemoMain.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    return command.execute(args);
  }

  @Test
  void helpSaysWhatTheDemoIsAndWhereTheRealThingIs() {
    assertEquals(0, run("--help"));
    String help = out.toString().replaceAll("\\s+", " ");
    assertTrue(help.contains("in-process Kubernetes API"), help);
    assertTrue(help.contains("tessera-extender.jar with a kubeconfig"), help);
    assertTrue(help.contains("--console-port") && help.contains("Workloads API"), help);
  }

  @Test
  void aTakenPortEndsWithOneLineThatSaysWhatToDo() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      assertEquals(1, run("--port", Integer.toString(taken.getLocalPort()), "--report-port", "0", "--console-port", "0"));
      assertTrue(err.toString().contains("could not listen on port " + taken.getLocalPort()), err.toString());
      assertTrue(err.toString().contains("--port"), err.toString());
    }
  }

  @Test
  void aTakenConsolePortEndsWithOneLineThatNamesItsOption() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      assertEquals(1, run("--port", "0", "--report-port", "0", "--console-port", Integer.toString(taken.getLocalPort())));
      String said = err.toString().strip();
      assertEquals(1, said.lines().count(), said);
      assertTrue(said.startsWith("tessera-demo: the Workloads API could not listen on port " + taken.getLocalPort()),
          said);
      assertTrue(said.endsWith("pick another with --console-port"), said);
    }
  }

  @Test
  void aConsolePortOutOfRangeIsRefusedWithTheReason() {
    assertEquals(2, run("--console-port", "70000"));
    assertTrue(err.toString().contains("the console port must be 0..65535, was 70000"), err.toString());
  }

  @Test
  void aBadStrategyIsRefusedWithTheReason() {
    assertEquals(2, run("--placement-strategy", "tightest"));
    assertTrue(err.toString().contains("use binpack or spread"), err.toString());
  }
}
