package dev.tessera.console.table;

import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;

/**
 * One {@code filterBy} condition, parsed and checked against its column's type once per query so
 * matching a row only compares.
 *
 * @param column the column it looks at
 * @param operator how it compares
 * @param text the value as written
 * @param number the value for a number column (quantities such as "40Gi" read as bytes, "500m" as
 *     cores)
 * @param epochMillis the value for a time column
 */
public record Filter(Column column, Operator operator, String text, double number, long epochMillis) {

  public Filter {
    Objects.requireNonNull(column, "column");
    Objects.requireNonNull(operator, "operator");
    Objects.requireNonNull(text, "text");
  }

  /**
   * Reads {@code column<operator>value}, e.g. {@code project==team-a}.
   *
   * @throws IllegalArgumentException naming what is wrong: no operator, an unknown column, an
   *     operator the column's type does not take, a value that is not a number or a time
   */
  public static Filter parse(String expression) {
    int at = 0;
    while (at < expression.length() && Character.isLetterOrDigit(expression.charAt(at))) {
      at++;
    }
    if (at == 0) {
      throw new IllegalArgumentException("filterBy \"" + expression + "\" does not start with a column name");
    }
    Column column = Column.named(expression.substring(0, at));
    String rest = expression.substring(at);
    for (Operator operator : Operator.values()) {
      if (rest.startsWith(operator.symbol())) {
        String value = rest.substring(operator.symbol().length());
        return of(column, operator, value);
      }
    }
    throw new IllegalArgumentException("filterBy \"" + expression + "\" has no operator after \"" + column.key()
        + "\"; write one of " + Operator.symbolsFor(column.type()));
  }

  /** A filter on a column, checked as {@link #parse} checks it. */
  public static Filter of(Column column, Operator operator, String value) {
    if (!operator.suits(column.type())) {
      throw new IllegalArgumentException("filterBy on " + column.key() + " (" + column.type().name()
          .toLowerCase(Locale.ROOT) + ") takes " + Operator.symbolsFor(column.type()) + ", not "
          + operator.symbol());
    }
    return switch (column.type()) {
      case NUMBER -> new Filter(column, operator, value, number(column, value), 0);
      case TIME -> new Filter(column, operator, value, 0, time(column, value));
      case BOOLEAN -> {
        if (!value.equals("true") && !value.equals("false")) {
          throw new IllegalArgumentException("filterBy on " + column.key() + " takes true or false, not \"" + value
              + "\"");
        }
        yield new Filter(column, operator, value, 0, 0);
      }
      case TEXT -> new Filter(column, operator, value, 0, 0);
    };
  }

  /** Whether the row passes. A row without a value passes only {@code !=} and {@code !@}. */
  public boolean matches(WorkloadRow row) {
    Object value = column.comparable(row);
    if (value == null) {
      return operator == Operator.NOT_EQUALS || operator == Operator.NOT_CONTAINS;
    }
    return switch (column.type()) {
      case TEXT -> matchesText(value.toString());
      case NUMBER -> matchesOrder(Double.compare((Double) value, number));
      case TIME -> matchesOrder(Long.compare((Long) value, epochMillis));
      case BOOLEAN -> (operator == Operator.EQUALS) == value.toString().equals(text);
    };
  }

  private boolean matchesText(String value) {
    return switch (operator) {
      case EQUALS -> value.equalsIgnoreCase(text);
      case NOT_EQUALS -> !value.equalsIgnoreCase(text);
      case CONTAINS -> Text.containsIgnoreCase(value, text);
      case NOT_CONTAINS -> !Text.containsIgnoreCase(value, text);
      case STARTS_WITH -> value.regionMatches(true, 0, text, 0, text.length());
      case ENDS_WITH -> value.length() >= text.length()
          && value.regionMatches(true, value.length() - text.length(), text, 0, text.length());
      default -> throw new IllegalStateException("operator " + operator + " on text was refused at parse time");
    };
  }

  private boolean matchesOrder(int comparison) {
    return switch (operator) {
      case EQUALS -> comparison == 0;
      case NOT_EQUALS -> comparison != 0;
      case AT_LEAST -> comparison >= 0;
      case AT_MOST -> comparison <= 0;
      case MORE -> comparison > 0;
      case LESS -> comparison < 0;
      default -> throw new IllegalStateException("operator " + operator + " on numbers was refused at parse time");
    };
  }

  private static double number(Column column, String value) {
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException notPlain) {
      try {
        return new Quantity(value).getNumericalAmount().doubleValue();
      } catch (RuntimeException notQuantity) {
        throw new IllegalArgumentException("filterBy on " + column.key() + " takes a number or a quantity such as"
            + " 40Gi or 500m, not \"" + value + "\"", notQuantity);
      }
    }
  }

  private static long time(Column column, String value) {
    try {
      return OffsetDateTime.parse(value).toInstant().toEpochMilli();
    } catch (DateTimeParseException notDateTime) {
      try {
        return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      } catch (DateTimeParseException notDate) {
        try {
          return Instant.ofEpochMilli(Long.parseLong(value)).toEpochMilli();
        } catch (NumberFormatException notMillis) {
          throw new IllegalArgumentException("filterBy on " + column.key() + " takes an RFC 3339 time"
              + " (2026-12-07T10:00:00Z), a date (2026-12-07) or epoch milliseconds, not \"" + value + "\"", notMillis);
        }
      }
    }
  }
}
