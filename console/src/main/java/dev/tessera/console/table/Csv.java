package dev.tessera.console.table;

import java.util.List;

/** The rows of a query as CSV (RFC 4180): a header line, then one line per row, columns as asked. */
public final class Csv {
  private Csv() {}

  public static String write(List<Column> columns, List<WorkloadRow> rows) {
    StringBuilder out = new StringBuilder(64 * (rows.size() + 1));
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      field(out, columns.get(i).header());
    }
    out.append("\r\n");
    for (WorkloadRow row : rows) {
      for (int i = 0; i < columns.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        field(out, columns.get(i).text(row));
      }
      out.append("\r\n");
    }
    return out.toString();
  }

  private static void field(StringBuilder out, String value) {
    boolean quote = value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0
        || value.indexOf('\r') >= 0;
    // A leading = + - @ makes spreadsheets run the cell as a formula: a workload name is user input.
    boolean formula = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0;
    if (!quote && !formula) {
      out.append(value);
      return;
    }
    out.append('"');
    if (formula) {
      out.append('\'');
    }
    out.append(value.replace("\"", "\"\"")).append('"');
  }
}
