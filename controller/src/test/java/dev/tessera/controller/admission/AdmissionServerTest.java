package dev.tessera.controller.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook over real TLS on loopback: a throwaway key pair made with the JDK's keytool, written
 * as the PEM files a Kubernetes TLS secret holds, loaded by {@link PemTls}, and called with a
 * client that trusts only that certificate.
 */
class AdmissionServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir Path dir;

  private AdmissionServer server;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    Path p12 = dir.resolve("admission.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "admission", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=tessera-admission", "-validity", "2",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-storetype", "PKCS12", "-keystore", p12.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS), "keytool did not finish");
    assertEquals(0, keytool.exitValue(), "keytool failed: " + output);

    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(p12)) {
      store.load(in, PASSWORD);
    }
    Certificate cert = store.getCertificate("admission");
    Path certPem = dir.resolve("tls.crt");
    Path keyPem = dir.resolve("tls.key");
    Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyPem, pem("PRIVATE KEY", store.getKey("admission", PASSWORD).getEncoded()));

    server =
        new AdmissionServer(
            0,
            AdmissionServer.DEFAULT_MAX_REQUEST_BYTES,
            PemTls.serverContext(certPem, keyPem),
            new AdmissionReviewer(AdmissionReviewerTest::policies, AdmissionReviewerTest::projectOf, AdmissionReviewer.NO_OTHER_KINDS));
    server.start();

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("admission", cert);
    TrustManagerFactory trusting = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trusting.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trusting.getTrustManagers(), null);
    client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aViolationIsDeniedOverTls() throws Exception {
    HttpResponse<String> response =
        post("/validate?timeout=10s", AdmissionReviewerTest.request("CREATE", "Training",
            "{\"image\":\"docker.io/me/train:1\",\"gpu\":{\"count\":4}}"));
    assertEquals(200, response.statusCode(), response.body());
    JsonNode answer = JSON.readTree(response.body()).path("response");
    assertEquals("uid-1", answer.path("uid").asText());
    assertFalse(answer.path("allowed").asBoolean(true));
    assertEquals(403, answer.path("status").path("code").asInt());
    assertTrue(answer.path("status").path("message").asText().contains("ml-limits"), answer.toString());
  }

  @Test
  void defaultsComeBackAsAPatchOverTls() throws Exception {
    HttpResponse<String> response =
        post("/mutate", AdmissionReviewerTest.request("CREATE", "Training", "{\"image\":\"nvcr.io/x:1\"}"));
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
    JsonNode answer = JSON.readTree(response.body()).path("response");
    assertTrue(answer.path("allowed").asBoolean());
    assertEquals("JSONPatch", answer.path("patchType").asText());
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(answer.path("patch").asText()));
    assertEquals(List.of("/spec/gpu", "/spec/cpu", "/spec/nodePools"),
        List.of(patch.get(0).path("path").asText(), patch.get(1).path("path").asText(),
            patch.get(2).path("path").asText()));
  }

  @Test
  void whatCannotBeReviewedGetsAJsonError() throws Exception {
    HttpResponse<String> malformed = send(HttpRequest.newBuilder(uri("/validate"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"request\":{}}")));
    assertEquals(400, malformed.statusCode());
    assertTrue(JSON.readTree(malformed.body()).path("error").asText().contains("uid"), malformed.body());

    HttpResponse<String> unknown = send(HttpRequest.newBuilder(uri("/filter"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(404, unknown.statusCode());

    HttpResponse<String> get = send(HttpRequest.newBuilder(uri("/mutate")).GET());
    assertEquals(405, get.statusCode());
    assertEquals("POST", get.headers().firstValue("allow").orElse(""));

    byte[] huge = new byte[AdmissionServer.DEFAULT_MAX_REQUEST_BYTES + 1];
    HttpResponse<String> tooLarge = send(HttpRequest.newBuilder(uri("/validate"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(huge)));
    assertEquals(400, tooLarge.statusCode());
    assertTrue(tooLarge.body().contains("limit"), tooLarge.body());
  }

  private HttpResponse<String> post(String path, JsonNode review) throws Exception {
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(review))));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("https://127.0.0.1:" + server.port() + path);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
