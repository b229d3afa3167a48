package dev.tessera.console.access;

/**
 * An authorizer's answer.
 *
 * @param allowed whether the caller may
 * @param reason why, when the authorizer said (RBAC's reason, "no RBAC rule allows it"); never null
 */
public record Decision(boolean allowed, String reason) {
  public Decision {
    reason = reason == null ? "" : reason;
  }

  public static Decision allow(String reason) {
    return new Decision(true, reason);
  }

  public static Decision deny(String reason) {
    return new Decision(false, reason);
  }
}
