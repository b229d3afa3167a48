package dev.tessera.agent;

import dev.tessera.agent.gpu.SimulatedFault;
import dev.tessera.agent.gpu.SimulatedGpuBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a person or a script change the simulated GPUs of a running agent, one command a line on
 * standard input: the demo shows a GPU getting busy, and bench/agent-footprint.sh times how long a
 * change takes to reach {@code /metrics}. Only with {@code --simulate}; a real agent reads no input.
 */
final class SimulationConsole {
  private static final Logger log = LoggerFactory.getLogger(SimulationConsole.class);
  private static final long MIB = 1024L * 1024;

  static final String HELP =
      "load GPU MEMORY_MIB UTIL_PERCENT | idle GPU | fail GPU lost|no-permission | xid GPU XID"
          + " | recover GPU";

  private final SimulatedGpuBackend gpus;

  SimulationConsole(SimulatedGpuBackend gpus) {
    this.gpus = gpus;
  }

  /** Reads commands on a daemon thread until end of input. */
  void start(InputStream in) {
    Thread t = new Thread(() -> readAll(in), "tessera-simulation-console");
    t.setDaemon(true);
    t.start();
  }

  private void readAll(InputStream in) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (!line.isBlank()) {
          apply(line);
        }
      }
    } catch (IOException e) {
      log.debug("simulation console input ended: {}", e.toString());
    }
  }

  /** Applies one command; a bad one is logged with the syntax and changes nothing. */
  void apply(String line) {
    String[] w = line.trim().split("\\s+");
    try {
      switch (w[0].toLowerCase(Locale.ROOT)) {
        case "load" -> {
          arity(w, 4);
          gpus.simulate(Integer.parseInt(w[1]), Long.parseLong(w[2]) * MIB, Integer.parseInt(w[3]));
        }
        case "idle" -> {
          arity(w, 2);
          gpus.idle(Integer.parseInt(w[1]));
        }
        case "fail" -> {
          arity(w, 3);
          gpus.fail(Integer.parseInt(w[1]), SimulatedFault.valueOf(w[2].toUpperCase(Locale.ROOT).replace('-', '_')));
        }
        case "xid" -> {
          arity(w, 3);
          gpus.xid(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
        }
        case "recover" -> {
          arity(w, 2);
          gpus.recover(Integer.parseInt(w[1]));
        }
        default -> throw new IllegalArgumentException("unknown command '" + w[0] + "'");
      }
      log.info("simulation: {}", line.trim());
    } catch (IllegalArgumentException e) { // NumberFormatException too
      log.warn("simulation: cannot apply '{}': {}; commands are: {}", line.trim(), e.getMessage(), HELP);
    }
  }

  private static void arity(String[] words, int n) {
    if (words.length != n) {
      throw new IllegalArgumentException("expected " + (n - 1) + " argument(s), got " + (words.length - 1));
    }
  }
}
