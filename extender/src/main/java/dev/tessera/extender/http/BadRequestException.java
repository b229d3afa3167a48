package dev.tessera.extender.http;

/**
 * A request that cannot be answered because its body or form is wrong. The message is the specific
 * reason, sent back to the caller as the {@code Error} of an HTTP 400, so it must say what was
 * wrong in the caller's terms (which field, which type).
 */
public final class BadRequestException extends Exception {

  public BadRequestException(String reason) {
    // No stack trace: bad input is an expected result, logged as one line without a stack, and
    // a flood of it should not cost a stack walk per request.
    super(reason, null, false, false);
  }
}
