package dev.tessera.extender.gangs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.extender.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreemptionClaimsTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final PreemptionClaims claims = new PreemptionClaims(clock);

  @Test
  void aClaimedNodeRefusesLowerPrioritiesUntilTheGangIsPlacedOrTheClaimExpires() {
    assertNull(claims.refusal("n1", 0), "nothing claimed");
    claims.claim("ml/hi", 1000, List.of("n1"), Duration.ofSeconds(30));

    assertEquals("GPUs on this node were freed for gang ml/hi (priority 1000), which is being placed; a pod of"
        + " lower priority waits until it is", claims.refusal("n1", 0));
    assertNull(claims.refusal("n1", 1000), "the gang's own members, and pods as important, may use it");
    assertNull(claims.refusal("n2", 0), "other nodes are not held");

    claims.release("ml/hi");
    assertNull(claims.refusal("n1", 0));

    claims.claim("ml/hi", 1000, List.of("n1"), Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(30));
    assertNull(claims.refusal("n1", 0), "a claim the gang never used runs out");
  }

  @Test
  void aWeakerGangDoesNotTakeOverAStrongerGangsClaim() {
    claims.claim("ml/hi", 1000, List.of("n1"), Duration.ofSeconds(30));
    claims.claim("ml/mid", 500, List.of("n1", "n2"), Duration.ofSeconds(30));
    assertEquals(true, claims.refusal("n1", 700).contains("ml/hi"));
    assertEquals(true, claims.refusal("n2", 0).contains("ml/mid"));
  }
}
