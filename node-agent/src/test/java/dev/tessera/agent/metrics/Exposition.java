package dev.tessera.agent.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The series of a Prometheus text exposition, parsed the way Prometheus reads it. */
record Exposition(String text, List<Series> series) {
  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  record Series(String name, Map<String, String> labels, double value) {}

  static Exposition parse(String text) {
    List<Series> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        int pos = 0;
        while (l.find() && l.start() == pos) {
          labels.put(l.group(1), l.group(2));
          pos = l.end();
        }
        if (pos != m.group(2).length()) {
          throw new AssertionError("bad labels in: " + line);
        }
      }
      out.add(new Series(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return new Exposition(text, out);
  }

  List<Series> named(String name) {
    return series.stream().filter(s -> s.name().equals(name)).toList();
  }

  Set<String> names() {
    Set<String> names = new TreeSet<>();
    series.forEach(s -> names.add(s.name()));
    return names;
  }

  /** The one series of {@code name} whose label {@code key} is {@code value}, or null. */
  Series find(String name, String key, String value) {
    List<Series> found = named(name).stream().filter(s -> value.equals(s.labels().get(key))).toList();
    if (found.size() > 1) {
      throw new AssertionError("several " + name + " series with " + key + "=" + value + ": " + found);
    }
    return found.isEmpty() ? null : found.get(0);
  }
}
