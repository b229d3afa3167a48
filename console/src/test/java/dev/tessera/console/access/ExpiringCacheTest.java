package dev.tessera.console.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.extender.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExpiringCacheTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));

  @Test
  void anEntryIsThereUntilItExpiresAndNotAfter() {
    ExpiringCache<String, Integer> cache = new ExpiringCache<>(clock, 10);
    cache.put("a", 1, clock.instant().plusSeconds(5));
    clock.advance(Duration.ofMillis(4999));
    assertEquals(Optional.of(1), cache.get("a"));
    clock.advance(Duration.ofMillis(1));
    assertEquals(Optional.empty(), cache.get("a"));
    assertEquals(0, cache.size(), "an expired entry is dropped when found");
  }

  @Test
  void anEntryAlreadyExpiredIsNotKept() {
    ExpiringCache<String, Integer> cache = new ExpiringCache<>(clock, 10);
    cache.put("a", 1, clock.instant());
    assertEquals(0, cache.size());
  }

  @Test
  void whenFullTheLeastRecentlyUsedGoes() {
    ExpiringCache<String, Integer> cache = new ExpiringCache<>(clock, 2);
    Instant later = clock.instant().plusSeconds(60);
    cache.put("a", 1, later);
    cache.put("b", 2, later);
    cache.get("a");
    cache.put("c", 3, later);
    assertEquals(2, cache.size());
    assertEquals(Optional.of(1), cache.get("a"));
    assertEquals(Optional.empty(), cache.get("b"));
    assertEquals(Optional.of(3), cache.get("c"));
  }

  @Test
  void aCacheHoldsSomething() {
    assertThrows(IllegalArgumentException.class, () -> new ExpiringCache<String, String>(clock, 0));
  }
}
