package dev.tessera.api.conditions;

import java.util.List;

/**
 * A status that carries conditions, so one status writer can set {@value Condition#ACCEPTED} on
 * every policy kind while keeping the fields other code writes (pool figures, phase).
 */
public interface Conditioned<T> {
  /** The conditions; may be null when the status was written without any. */
  List<Condition> conditions();

  /** A copy of this status with the given conditions and every other field kept. */
  T withConditions(List<Condition> conditions);
}
