package dev.tessera.controller.workloads.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.api.syntax.SeriesSelector;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ExpositionTest {
  /** Part of a vLLM page, as it serves it (prometheus_client, text format 0.0.4). */
  private static final String VLLM = String.join("\n",
      "# HELP vllm:num_requests_running Number of requests currently running on GPU.",
      "# TYPE vllm:num_requests_running gauge",
      "vllm:num_requests_running{model_name=\"llama-3-8b\"} 3.0",
      "vllm:num_requests_running{model_name=\"llama-3-8b-lora\"} 2.0",
      "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
      "# TYPE vllm:num_requests_waiting gauge",
      "vllm:num_requests_waiting{model_name=\"llama-3-8b\"} 7.0",
      "# HELP vllm:request_success_total Count of successfully processed requests.",
      "# TYPE vllm:request_success_total counter",
      "vllm:request_success_total{finished_reason=\"stop\",model_name=\"llama-3-8b\"} 1234.0",
      "vllm:request_success_total{finished_reason=\"length\",model_name=\"llama-3-8b\"} 66.0",
      "");

  private static OptionalDouble sum(String page, String series) {
    return Exposition.sum(page, SeriesSelector.parse(series));
  }

  @Test
  void theSamplesOfASeriesAreSummedAndCommentsAndOtherSeriesSkipped() {
    assertEquals(OptionalDouble.of(5.0), sum(VLLM, "vllm:num_requests_running"));
    assertEquals(OptionalDouble.of(7.0), sum(VLLM, "vllm:num_requests_waiting"));
    assertEquals(OptionalDouble.of(1300.0), sum(VLLM, "vllm:request_success_total"));
  }

  @Test
  void labelMatchersPickSamples() {
    assertEquals(OptionalDouble.of(3.0), sum(VLLM, "vllm:num_requests_running{model_name=\"llama-3-8b\"}"));
    assertEquals(OptionalDouble.of(1234.0),
        sum(VLLM, "vllm:request_success_total{ finished_reason = \"stop\" , model_name=\"llama-3-8b\", }"));
    assertEquals(OptionalDouble.empty(), sum(VLLM, "vllm:num_requests_running{model_name=\"mistral\"}"));
  }

  @Test
  void aNameThatOnlySharesThePrefixIsAnotherSeries() {
    String page = "requests_total 4\nrequests 1\nrequests_in_flight 9\n";
    assertEquals(OptionalDouble.of(1.0), sum(page, "requests"));
  }

  @Test
  void aMissingSeriesIsNoMeasureNotZero() {
    assertEquals(OptionalDouble.empty(), sum(VLLM, "nv_inference_pending_request_count"));
    assertEquals(OptionalDouble.empty(), sum("", "x"));
    assertEquals(OptionalDouble.empty(), sum("# TYPE x gauge\n# HELP x nothing yet\n", "x"));
  }

  @Test
  void notFiniteSamplesMeasureNothing() {
    assertEquals(OptionalDouble.empty(), sum("x NaN\n", "x"));
    assertEquals(OptionalDouble.of(2.0), sum("x{a=\"1\"} NaN\nx{a=\"2\"} +Inf\nx{a=\"3\"} -Inf\nx{a=\"4\"} 2\n", "x"));
  }

  @Test
  void timestampsWhitespaceCarriageReturnsAndExponentsAreRead() {
    assertEquals(OptionalDouble.of(1500.0), sum("x 1.5e3 1712345678000\r\n", "x"));
    assertEquals(OptionalDouble.of(3.0), sum("\tx\t1\n  x{a=\"b\"}  2  \n", "x"));
    assertEquals(OptionalDouble.of(-0.5), sum("x -.5\n", "x"));
  }

  @Test
  void escapedLabelValuesAreReadAsWritten() {
    String page = "x{path=\"/a\\\"b\\\\c\",note=\"line\\nbreak\"} 4\nx{path=\"/other\"} 1\n";
    assertEquals(OptionalDouble.of(4.0), sum(page, "x{path=\"/a\\\"b\\\\c\"}"));
    assertEquals(OptionalDouble.of(4.0), sum(page, "x{note=\"line\\nbreak\"}"));
  }

  @Test
  void badLinesAreSkippedAndTheRestIsRead() {
    String page = String.join("\n",
        "x{a=\"1\" 5",            // no closing brace
        "x{a=1} 5",               // unquoted value
        "x{=\"1\"} 5",            // no label name
        "x{a=\"1\"}",             // no value
        "x abc",                  // not a number
        "x 1 2 3",                // too many fields
        "x 0x10",                 // hex is not in the format
        "x{a=\"unterminated} 5",
        "x{a=\"ok\"} 6",
        "");
    assertEquals(OptionalDouble.of(6.0), sum(page, "x"));
  }

  @Test
  void aSelectorIsANameAndOptionalEqualityMatchers() {
    assertEquals(new SeriesSelector("vllm:num_requests_running", Map.of()),
        SeriesSelector.parse(" vllm:num_requests_running "));
    SeriesSelector selector = SeriesSelector.parse("http_requests_total{code=\"200\",handler=\"/v1\"}");
    assertEquals("http_requests_total", selector.name());
    assertEquals(Map.of("code", "200", "handler", "/v1"), selector.labels());
    assertEquals("http_requests_total{code=\"200\",handler=\"/v1\"}", selector.toString());
  }

  @Test
  void aMalformedSelectorSaysWhatIsWrong() {
    assertTrue(refusal("").contains("empty"));
    assertTrue(refusal("2xx_requests").contains("is not a metric name"));
    assertTrue(refusal("x{code=~\"2..\"}").contains("label=\"value\" pairs"), refusal("x{code=~\"2..\"}"));
    assertTrue(refusal("x{code=\"200\"").contains("label=\"value\" pairs"));
    assertTrue(refusal("x{code=\"200\"} 5").contains("follows the closing brace"));
    assertTrue(refusal("rate(x[1m])").contains("is not a metric name"));
  }

  private static String refusal(String selector) {
    return assertThrows(IllegalArgumentException.class, () -> SeriesSelector.parse(selector)).getMessage();
  }
}
