package dev.tessera.api.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationOptionTest {
  private final DurationOption option = new DurationOption();

  @Test
  void readsKubernetesFlagDurationsAndIso8601() {
    assertEquals(Duration.ofMillis(500), option.convert("500ms"));
    assertEquals(Duration.ofSeconds(8), option.convert(" 8s "));
    assertEquals(Duration.ofMinutes(5), option.convert("5m"));
    assertEquals(Duration.ofHours(1), option.convert("1h"));
    assertEquals(Duration.ofSeconds(90), option.convert("PT1M30S"));
  }

  @Test
  void anythingElseIsRefusedSayingWhatToWrite() {
    CommandLine.TypeConversionException e =
        assertThrows(CommandLine.TypeConversionException.class, () -> option.convert("soon"));
    assertTrue(e.getMessage().contains("'soon' is not a duration"), e.getMessage());
  }
}
