package dev.tessera.console.table;

import java.util.List;

/**
 * A filter's operator, written as Run:ai's API writes them in {@code filterBy} so its users know
 * them: {@code name=@bert}, {@code gpuComputeRequest>=2}, {@code status==Running}.
 */
public enum Operator {
  // Two-character operators first: parsing tries them in this order.
  EQUALS("==", true, true),
  NOT_EQUALS("!=", true, true),
  CONTAINS("=@", false, false),
  NOT_CONTAINS("!@", false, false),
  STARTS_WITH("=^", false, false),
  ENDS_WITH("=$", false, false),
  AT_LEAST(">=", false, true),
  AT_MOST("<=", false, true),
  MORE(">", false, true),
  LESS("<", false, true);

  private final String symbol;
  private final boolean anyType;
  private final boolean ordered;

  Operator(String symbol, boolean anyType, boolean ordered) {
    this.symbol = symbol;
    this.anyType = anyType;
    this.ordered = ordered;
  }

  public String symbol() {
    return symbol;
  }

  /** Whether a column of this type takes the operator: text matching for text, ranges for numbers and times. */
  public boolean suits(Column.Type type) {
    if (anyType) {
      return true;
    }
    return switch (type) {
      case TEXT -> !ordered;
      case NUMBER, TIME -> ordered;
      case BOOLEAN -> false;
    };
  }

  /** The operators a column of this type takes, for error messages. */
  public static List<String> symbolsFor(Column.Type type) {
    return java.util.Arrays.stream(values()).filter(op -> op.suits(type)).map(Operator::symbol).toList();
  }
}
