package dev.tessera.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Rows printed as aligned columns (as kubectl does) or as CSV; nothing else to know about output. */
final class Table {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = List.of(headers);
  }

  void add(String... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException(cells.length + " cells for " + headers.size() + " columns");
    }
    List<String> row = new ArrayList<>();
    for (String cell : cells) {
      row.add(cell == null ? "" : cell);
    }
    rows.add(row);
  }

  /** Columns padded to their widest cell, three spaces apart. */
  void printAligned(PrintWriter out, String indent) {
    int[] widths = new int[headers.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = headers.get(c).length();
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    printRow(out, indent, headers, widths);
    for (List<String> row : rows) {
      printRow(out, indent, row, widths);
    }
  }

  /** RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled. */
  void printCsv(PrintWriter out) {
    out.println(csvLine(headers));
    for (List<String> row : rows) {
      out.println(csvLine(row));
    }
  }

  private static void printRow(PrintWriter out, String indent, List<String> cells, int[] widths) {
    StringBuilder line = new StringBuilder(indent);
    for (int c = 0; c < cells.size(); c++) {
      line.append(cells.get(c));
      if (c < cells.size() - 1) {
        line.append(" ".repeat(widths[c] - cells.get(c).length() + 3));
      }
    }
    out.println(line);
  }

  private static String csvLine(List<String> cells) {
    List<String> quoted = new ArrayList<>();
    for (String cell : cells) {
      boolean quote = cell.contains(",") || cell.contains("\"") || cell.contains("\n") || cell.contains("\r");
      quoted.add(quote ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell);
    }
    return String.join(",", quoted);
  }
}
