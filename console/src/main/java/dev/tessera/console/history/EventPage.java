package dev.tessera.console.history;

import java.util.List;

/**
 * A page of history entries, newest first.
 *
 * @param items the entries
 * @param next the cursor for the next (older) page, or null when this is the last
 */
public record EventPage(List<HistoryEvent> items, String next) {
  public EventPage {
    items = List.copyOf(items);
  }
}
