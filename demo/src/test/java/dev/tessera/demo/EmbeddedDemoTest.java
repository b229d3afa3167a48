package dev.tessera.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.telemetry.ReportConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The demo a newcomer runs first: every sample pod gets the outcome its request deserves. */
class EmbeddedDemoTest {

  @Test
  void schedulesTheSamplePodsThroughTheRealEndpointsAndPrintsTheLedger() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);

    int exit = new EmbeddedDemo(
            ExtenderConfig.defaults().withPort(0), ReportConfig.defaults().withPort(0), Duration.ofMinutes(5), out).run(false);
    String printed = buffer.toString(StandardCharsets.UTF_8);

    assertEquals(0, exit, printed);
    // Pods the cluster can hold are placed, each named in the ledger the informers rebuilt.
    for (String pod :
        new String[] {
          "team-vision/train-resnet", "team-nlp/finetune-llama", "team-vision/notebook-alice",
          "team-vision/notebook-bob", "team-nlp/embeddings-api", "team-nlp/eval-sharded",
          "team-vision/notebook-carol", "team-nlp/ddp-worker-0", "team-nlp/ddp-worker-1"
        }) {
      assertTrue(printed.contains("  " + pod + " -> gpu-"), pod + " was not placed:\n" + printed);
      String ledger = printed.substring(printed.indexOf("GPU ledger"));
      assertTrue(ledger.contains(pod), pod + " is missing from the ledger:\n" + printed);
    }
    // The two that cannot be placed say why, in words.
    assertTrue(printed.contains("team-nlp/pretrain-huge -> not placed: ") && printed.contains("needs 16 whole GPUs"), printed);
    assertTrue(printed.contains("team-vision/typo-fraction -> not placed: ") && printed.contains("was '1.5'"), printed);
    assertFalse(printed.contains("assumed"), "every binding is confirmed by the informer:\n" + printed);
    // The gang's workers went to the pool they asked for; the projects' figures add up.
    assertTrue(printed.contains("team-nlp/ddp-worker-0 -> gpu-a100-"), printed);
    assertTrue(printed.contains("team-vision    a100          6.00        9.25       9.25     0.00"), printed);
  }
}
