package dev.tessera.agent.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Where the API server is and how to authenticate: in-cluster service account credentials, or a
 * kubeconfig file. Only bearer tokens are supported; anything else fails with a message saying so.
 *
 * @param server the API server's base URL
 * @param token the bearer token, asked for on every request (null or empty: none)
 * @param sslContext for https; null to use the JDK's default trust
 */
public record KubeConfig(URI server, Supplier<String> token, SSLContext sslContext) {
  static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  /** In a pod (KUBERNETES_SERVICE_HOST set) its service account, else $KUBECONFIG or ~/.kube/config. */
  public static KubeConfig fromEnvironment(Map<String, String> env, Path home) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    if (host != null && !host.isBlank()) {
      return inCluster(host, env.getOrDefault("KUBERNETES_SERVICE_PORT", "443"), SERVICE_ACCOUNT);
    }
    String path = env.get("KUBECONFIG");
    // KUBECONFIG may list several files; the first one is the one we read.
    Path file = path == null || path.isBlank()
        ? home.resolve(".kube").resolve("config")
        : Path.of(path.split(java.io.File.pathSeparator)[0]);
    return fromKubeconfig(file);
  }

  static KubeConfig inCluster(String host, String port, Path serviceAccount) {
    String authority = host.contains(":") ? "[" + host + "]" : host; // IPv6 service addresses
    Path tokenFile = serviceAccount.resolve("token");
    Path ca = serviceAccount.resolve("ca.crt");
    try {
      return new KubeConfig(
          URI.create("https://" + authority + ":" + port), fileToken(tokenFile), trusting(Files.readAllBytes(ca)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the service account's CA certificate " + ca + ": " + e, e);
    }
  }

  /** Reads the current context's cluster and user from a kubeconfig file. */
  public static KubeConfig fromKubeconfig(Path file) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the kubeconfig " + file + " (no in-cluster credentials either: KUBERNETES_SERVICE_HOST"
              + " is not set): " + e.getMessage(), e);
    }
    String contextName = root.path("current-context").asText("");
    JsonNode context = named(root, "contexts", contextName, file).path("context");
    JsonNode cluster = named(root, "clusters", context.path("cluster").asText(""), file).path("cluster");
    JsonNode user = named(root, "users", context.path("user").asText(""), file).path("user");
    for (String unsupported : new String[] {
        "client-certificate", "client-certificate-data", "exec", "auth-provider", "username"}) {
      if (user.has(unsupported)) {
        throw new IllegalArgumentException(
            "kubeconfig " + file + ": the user of context " + contextName + " authenticates with " + unsupported
                + ", which the agent does not support; give it a bearer token (token or tokenFile)");
      }
    }
    String server = cluster.path("server").asText("");
    if (server.isEmpty()) {
      throw new IllegalArgumentException("kubeconfig " + file + ": the cluster of context " + contextName + " has no server");
    }
    Supplier<String> token = user.hasNonNull("tokenFile")
        ? fileToken(Path.of(user.get("tokenFile").asText()))
        : constant(user.path("token").asText(""));
    try {
      SSLContext ssl = null;
      if (cluster.path("insecure-skip-tls-verify").asBoolean(false)) {
        ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new TrustAll()}, null);
      } else if (cluster.hasNonNull("certificate-authority-data")) {
        ssl = trusting(Base64.getMimeDecoder().decode(cluster.get("certificate-authority-data").asText()));
      } else if (cluster.hasNonNull("certificate-authority")) {
        ssl = trusting(Files.readAllBytes(Path.of(cluster.get("certificate-authority").asText())));
      }
      return new KubeConfig(URI.create(server), token, ssl);
    } catch (IOException e) {
      throw new UncheckedIOException("kubeconfig " + file + ": cannot read its certificate authority: " + e, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("kubeconfig " + file + ": unusable certificate authority: " + e, e);
    }
  }

  private static JsonNode named(JsonNode root, String list, String name, Path file) {
    for (JsonNode entry : root.path(list)) {
      if (name.equals(entry.path("name").asText())) {
        return entry;
      }
    }
    throw new IllegalArgumentException("kubeconfig " + file + " has no entry named '" + name + "' in " + list);
  }

  private static Supplier<String> constant(String token) {
    return () -> token;
  }

  /** Read on every call: service account tokens are rotated on disk by kubelet. */
  private static Supplier<String> fileToken(Path file) {
    return () -> {
      try {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the API token " + file + ": " + e, e);
      }
    };
  }

  private static SSLContext trusting(byte[] pem) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      try (InputStream in = new ByteArrayInputStream(pem)) {
        for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          store.setCertificateEntry("ca-" + i++, cert);
        }
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trust.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("unusable certificate authority: " + e.getMessage(), e);
    }
  }

  /**
   * insecure-skip-tls-verify: an extended trust manager, because the JDK checks the host name in
   * the trust manager, so this one skips that check too.
   */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
    @Override public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
