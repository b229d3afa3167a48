package dev.tessera.controller.admission;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;

/**
 * Builds the webhook's server TLS context from the two PEM files a Kubernetes TLS secret holds
 * ({@code tls.crt}: the certificate, possibly followed by its chain; {@code tls.key}: a PKCS#8
 * private key), with the JDK alone: the API server only needs a certificate it trusts through the
 * webhook configuration's {@code caBundle}, not BouncyCastle's formats.
 *
 * <p>The files are read once. Rotated certificates are not reloaded: restart the extender after
 * a rotation (cert-manager renews well before expiry).
 */
public final class PemTls {
  private static final char[] NO_PASSWORD = new char[0];

  private PemTls() {}

  /**
   * @throws IllegalStateException naming the file and what is wrong with it
   */
  public static SslContext serverContext(Path certFile, Path keyFile) {
    X509Certificate[] chain = certificates(certFile);
    PrivateKey key = privateKey(keyFile, chain[0].getPublicKey().getAlgorithm());
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("admission", key, NO_PASSWORD, chain);
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, NO_PASSWORD);
      return SslContextBuilder.forServer(keys).sslProvider(SslProvider.JDK).build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "the key in " + keyFile + " does not go with the certificate in " + certFile + ": " + e,
          e);
    }
  }

  static X509Certificate[] certificates(Path file) {
    byte[] pem = read(file, "--admission-cert");
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
      if (certs.isEmpty()) {
        throw new IllegalStateException(
            file + " holds no certificate; --admission-cert takes a PEM X.509 certificate (tls.crt)");
      }
      return certs.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          file + " is not a PEM X.509 certificate (--admission-cert, tls.crt): " + e.getMessage(), e);
    }
  }

  static PrivateKey privateKey(Path file, String algorithm) {
    String pem = new String(read(file, "--admission-key"), StandardCharsets.US_ASCII);
    if (pem.contains("-----BEGIN RSA PRIVATE KEY-----") || pem.contains("-----BEGIN EC PRIVATE KEY-----")) {
      throw new IllegalStateException(
          file + " holds a PKCS#1/SEC1 key; --admission-key takes PKCS#8 (\"BEGIN PRIVATE KEY\"):"
              + " set privateKey.encoding: PKCS8 on the cert-manager Certificate, or convert it with"
              + " openssl pkcs8 -topk8 -nocrypt");
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalStateException(
          file + " holds no \"" + begin + "\" block; --admission-key takes a PKCS#8 PEM key (tls.key)");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          file + " is not a PKCS#8 " + algorithm + " key matching the certificate: " + e.getMessage(), e);
    }
  }

  private static byte[] read(Path file, String option) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + option + " " + file + ": " + e, e);
    }
  }
}
