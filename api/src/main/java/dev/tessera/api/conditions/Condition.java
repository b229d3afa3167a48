package dev.tessera.api.conditions;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * One entry of a status's {@code conditions}, shaped like {@code metav1.Condition} so kubectl,
 * {@code kubectl wait --for=condition=Accepted} and dashboards read it as any other condition.
 *
 * @param status "True", "False" or "Unknown"
 * @param reason a CamelCase word for machines
 * @param message what a person should know, and what to do about it
 * @param observedGeneration the {@code metadata.generation} the condition was computed from
 * @param lastTransitionTime RFC 3339 time the status last changed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Condition(
    String type,
    String status,
    String reason,
    String message,
    Long observedGeneration,
    String lastTransitionTime) {

  /** Whether the policy object was taken into the catalog. */
  public static final String ACCEPTED = "Accepted";

  public static final String TRUE = "True";
  public static final String FALSE = "False";

  /** Whether two conditions say the same, ignoring when they were last changed. */
  public boolean sameAs(Condition other) {
    return other != null
        && Objects.equals(type, other.type)
        && Objects.equals(status, other.status)
        && Objects.equals(reason, other.reason)
        && Objects.equals(message, other.message)
        && Objects.equals(observedGeneration, other.observedGeneration);
  }

  /** This condition with its transition time set. */
  public Condition at(String time) {
    return new Condition(type, status, reason, message, observedGeneration, time);
  }

  /** A time as conditions carry it: RFC 3339 in UTC, whole seconds (as {@code metav1.Time}). */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** The condition of the given type in a list that may be null, or null. */
  public static Condition find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return null;
    }
    for (Condition c : conditions) {
      if (c != null && type.equals(c.type())) {
        return c;
      }
    }
    return null;
  }
}
