package dev.tessera.api.assignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.assignment.ComputeShares.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ComputeSharesTest {

  @Test
  void readsPercentsAndNone() {
    assertEquals(new Setting.Default(), ComputeShares.parse(null));
    assertEquals(new Setting.Percent(30), ComputeShares.parse("30"));
    assertEquals(new Setting.Percent(30), ComputeShares.parse(" 30% "));
    assertEquals(new Setting.Percent(1), ComputeShares.parse("1"));
    assertEquals(new Setting.Percent(100), ComputeShares.parse("100"));
    assertEquals(new Setting.None(), ComputeShares.parse("None"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "0", "101", "0.5", "30.0", "-5", "1e2", "thirty", "%", "30%%", "0030"})
  void refusesEverythingElseSayingWhatItTakes(String value) {
    Setting.Invalid invalid = assertInstanceOf(Setting.Invalid.class, ComputeShares.parse(value), value);
    assertTrue(invalid.reason().startsWith("tessera.dev/compute-share must be a whole percent"), invalid.reason());
    assertTrue(invalid.reason().endsWith("was '" + value + "'"), invalid.reason());
  }

  @Test
  void aFractionsShareRoundsDownSoEqualPartsNeverAddUpPastTheGpu() {
    assertEquals(50, ComputeShares.ofFraction(0.5));
    assertEquals(33, ComputeShares.ofFraction(1.0 / 3));
    assertEquals(29, ComputeShares.ofFraction(0.29), "not 28: 0.29 * 100 is 28.999999999999996 in binary");
    assertEquals(1, ComputeShares.ofFraction(0.001), "a sliver still counts");
    assertEquals(100, ComputeShares.ofFraction(1.0));
    for (int n = 1; n <= 100; n++) {
      assertTrue(n * ComputeShares.ofFraction(1.0 / n) <= 100, "n=" + n);
    }
  }

  @Test
  void aSettingGivesTheShareOfAPod() {
    assertEquals(25, ComputeShares.of(new Setting.Default(), 0.25));
    assertEquals(60, ComputeShares.of(new Setting.Percent(60), 0.25));
    assertEquals(ComputeShares.NOT_PACED, ComputeShares.of(new Setting.None(), 0.25));
    assertEquals(25, ComputeShares.of(new Setting.Invalid("x"), 0.25), "bad input keeps the fraction's share");
  }
}
