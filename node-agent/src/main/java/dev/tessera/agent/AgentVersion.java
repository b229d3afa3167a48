package dev.tessera.agent;

/** The agent's version, from the jar manifest ({@code Implementation-Version}, set by the build). */
final class AgentVersion {
  private AgentVersion() {}

  static String current() {
    String v = AgentVersion.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
