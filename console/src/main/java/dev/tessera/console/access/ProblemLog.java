package dev.tessera.console.access;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Says each problem once while it lasts: a controller that finds the same bad input on every pass
 * would otherwise repeat it for as long as nobody fixes it. A problem that goes away and comes
 * back is said again. Not thread-safe: one controller thread uses it.
 */
final class ProblemLog {
  private final Consumer<String> sink;
  private Set<String> said = new HashSet<>();

  ProblemLog(Consumer<String> sink) {
    this.sink = sink;
  }

  /** The problems of one pass, all of them: the new ones are said, the missing ones forgotten. */
  void pass(Set<String> problems) {
    for (String problem : problems) {
      if (!said.contains(problem)) {
        sink.accept(problem);
      }
    }
    said = new HashSet<>(problems);
  }
}
