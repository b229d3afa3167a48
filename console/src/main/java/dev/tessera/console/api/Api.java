package dev.tessera.console.api;

/** The Workloads API's names. */
final class Api {
  /** The {@code apiVersion} of its lists. */
  static final String VERSION = "console.tessera.dev/v1";

  private Api() {}
}
