package dev.tessera.console.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The expiry a JSON Web Token claims ({@code exp}), read without checking its signature: only ever
 * used to cache an accepted token for less time, never to accept one. ServiceAccount tokens and
 * OIDC ID tokens are JWTs; other tokens have no expiry here.
 */
final class JwtExpiry {
  private final ObjectMapper json = new ObjectMapper();

  Optional<Instant> of(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      return Optional.empty();
    }
    try {
      JsonNode exp = json.readTree(Base64.getUrlDecoder().decode(parts[1])).path("exp");
      return exp.isNumber() ? Optional.of(Instant.ofEpochSecond(exp.asLong())) : Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty(); // not a JWT after all
    }
  }
}
