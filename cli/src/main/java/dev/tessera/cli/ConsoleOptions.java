package dev.tessera.cli;

import io.fabric8.kubernetes.client.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where Tessera's Workloads API (the console) is and how to sign in to it, mixed into the commands
 * it adds something to: {@code list} (each workload's department and creator) and {@code describe}
 * (the event history the console keeps beyond Kubernetes' one-hour event lifetime). Without a
 * console those commands read the Kubernetes API alone, as they always have.
 *
 * <p>The environment is passed in rather than read here, so tests choose theirs.
 */
public final class ConsoleOptions {
  static final String CONSOLE_ENV = "TESSERA_CONSOLE";
  static final String TOKEN_ENV = "TESSERA_TOKEN";

  @Option(
      names = "--console",
      paramLabel = "URL",
      description = "Read workloads through Tessera's Workloads API at this URL (https://console.example),"
          + " which adds department, creator and the event history Kubernetes forgets after an hour."
          + " Default: $" + CONSOLE_ENV + "; without either, only the Kubernetes API is read."
          + " --console= ignores $" + CONSOLE_ENV + ".")
  String url;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "The bearer token to sign in to the console with (it accepts bearer tokens only)."
          + " Default: $" + TOKEN_ENV + ", else the kubeconfig user's token.")
  String token;

  private final Map<String, String> environment;

  ConsoleOptions(Map<String, String> environment) {
    this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
  }

  /** Whether a console is named, by {@code --console} or the environment. */
  boolean given() {
    String where = url != null ? url : environment.get(CONSOLE_ENV);
    return where != null && !where.isBlank();
  }

  /**
   * The console to read, or empty when none is named.
   *
   * @param kubernetes the configuration the command's Kubernetes client was built from, whose
   *     bearer token is the default
   * @param direct whether that configuration is {@code --server}'s, which has no credentials
   */
  Optional<ConsoleClient> connect(Config kubernetes, boolean direct) {
    if (!given()) {
      return Optional.empty();
    }
    String source = url != null ? "--console" : "$" + CONSOLE_ENV;
    URI base = base(url != null ? url : environment.get(CONSOLE_ENV), source);
    return Optional.of(new ConsoleClient(base, token(kubernetes, direct)));
  }

  /** The console's address without a trailing slash; a usage error unless it is an http(s) URL with a host. */
  static URI base(String text, String source) {
    String trimmed = text.strip();
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    try {
      URI uri = new URI(trimmed);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
          && uri.getQuery() == null && uri.getFragment() == null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // said below
    }
    throw CliException.usage(source + " must be the console's http:// or https:// URL, was '" + text + "'");
  }

  private ConsoleClient.Token token(Config kubernetes, boolean direct) {
    if (token != null) {
      if (token.isBlank()) {
        throw CliException.usage("--token must be a bearer token, was empty");
      }
      return new ConsoleClient.Token(token.strip(), "--token");
    }
    String fromEnvironment = environment.get(TOKEN_ENV);
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return new ConsoleClient.Token(fromEnvironment.strip(), "$" + TOKEN_ENV);
    }
    Optional<String> fromKubeconfig = direct ? Optional.empty() : kubeconfigToken(kubernetes);
    if (fromKubeconfig.isPresent()) {
      return new ConsoleClient.Token(fromKubeconfig.get(), "the kubeconfig's token");
    }
    throw CliException.usage("the console signs in with bearer tokens only, and there is none: pass --token TOKEN"
        + " or set " + TOKEN_ENV + (direct ? " (--server uses no kubeconfig credentials)"
            : " (the kubeconfig's user has no token; it may sign in with a client certificate)"));
  }

  /**
   * The bearer token fabric8 resolved from the kubeconfig: one set explicitly ({@code
   * kubernetes.auth.token}), else the user's token, exec plugin's or auth provider's.
   */
  static Optional<String> kubeconfigToken(Config config) {
    if (config == null) {
      return Optional.empty();
    }
    for (String candidate : new String[] {config.getOauthToken(), config.getAutoOAuthToken()}) {
      if (candidate != null && !candidate.isBlank()) {
        return Optional.of(candidate.strip());
      }
    }
    return Optional.empty();
  }
}
