package dev.tessera.controller.workloads.scaling;

import dev.tessera.api.syntax.SeriesSelector;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Reads a series off a replica's Prometheus page over HTTP, as Knative's autoscaler reads its
 * queue-proxies: straight from the pod, so autoscaling needs no Prometheus server in the cluster.
 * Asynchronous and bounded: a request gives up after the timeout (connecting included) and a page
 * larger than {@link #MAX_PAGE_BYTES} is refused, so a replica that hangs or floods costs a scrape,
 * never a thread or the heap.
 */
public final class ReplicaScraper implements RequestLoad.PageReader {
  /** vLLM's page is about 100 KiB; ten times a big one is no metrics page. */
  static final int MAX_PAGE_BYTES = 4 << 20;

  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param http the client to read with; its connect timeout should not exceed {@code timeout}
   * @param timeout how long one scrape may take in all
   */
  public ReplicaScraper(HttpClient http, Duration timeout) {
    this.http = Objects.requireNonNull(http, "http");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  /** A client for scraping: its own small executor's, connecting within {@code timeout}, following no redirect. */
  public static HttpClient client(java.util.concurrent.Executor executor, Duration timeout) {
    return HttpClient.newBuilder().executor(executor).connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** The sum of {@code series} on the page at {@code endpoint}; a failure is a {@link Reading} too, never an exception. */
  @Override
  public CompletableFuture<Reading> read(URI endpoint, SeriesSelector series) {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(endpoint).timeout(timeout)
          // The classic text format: a server that negotiates would otherwise answer protobuf.
          .header("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
          .GET().build();
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(Reading.failed("cannot request " + endpoint + ": " + e.getMessage()));
    }
    return http.sendAsync(request, info -> new BoundedText(MAX_PAGE_BYTES))
        .thenApply(response -> reading(response, series))
        .exceptionally(e -> Reading.failed(describe(e)))
        // The client's own timeout should have answered by then; this bounds a read that it does not.
        .completeOnTimeout(Reading.failed("no answer within " + timeout.toMillis() * 2 + " ms"),
            timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  private static Reading reading(HttpResponse<String> response, SeriesSelector series) {
    if (response.statusCode() != 200) {
      return Reading.failed("HTTP " + response.statusCode());
    }
    var sum = Exposition.sum(response.body(), series);
    return sum.isPresent() ? Reading.of(sum.getAsDouble())
        : Reading.failed("the page has no finite sample of " + series);
  }

  private String describe(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    for (Throwable inner = cause; inner != null; inner = inner.getCause()) {
      if (inner instanceof PageTooLarge) {
        return inner.getMessage(); // however the client wrapped it
      }
    }
    if (cause instanceof HttpConnectTimeoutException) {
      return "could not connect within " + timeout.toMillis() + " ms";
    }
    if (cause instanceof HttpTimeoutException) {
      return "no answer within " + timeout.toMillis() + " ms";
    }
    if (cause instanceof ConnectException) {
      return "connection refused";
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** The page as text, refused once it grows past a limit. */
  private static final class BoundedText implements HttpResponse.BodySubscriber<String> {
    private final int limit;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<String> text = new CompletableFuture<>();
    private Flow.Subscription subscription;

    BoundedText(int limit) {
      this.limit = limit;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (text.isDone()) {
        return; // refused already; what is still on its way is dropped
      }
      for (ByteBuffer buffer : buffers) {
        if (bytes.size() + buffer.remaining() > limit) {
          text.completeExceptionally(new PageTooLarge(limit));
          subscription.cancel();
          return;
        }
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable error) {
      text.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
      text.complete(bytes.toString(StandardCharsets.UTF_8));
    }

    @Override
    public CompletionStage<String> getBody() {
      return text;
    }
  }

  private static final class PageTooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PageTooLarge(int limit) {
      super("the page is larger than " + limit / (1 << 20) + " MiB");
    }
  }
}
