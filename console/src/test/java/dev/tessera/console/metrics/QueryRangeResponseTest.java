package dev.tessera.console.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Prometheus' range-query answers as it writes them, and bodies that only look like them. */
class QueryRangeResponseTest {
  private final QueryRangeResponse reader = new QueryRangeResponse(new ObjectMapper());

  private QueryRangeResponse.Parsed parse(String body) {
    return reader.parse(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aMatrixGivesItsSeriesWithTheirLabelsAndPoints() {
    QueryRangeResponse.Parsed parsed = parse("""
        {"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"gpu":"0","UUID":"GPU-a"},"values":[[1700000000,"10"],[1700000060.5,"12.25"]]},
          {"metric":{},"values":[[1700000000,"1e3"]]}
        ]},"warnings":["ignored"]}""");

    assertEquals(
        new QueryRangeResponse.Parsed.Matrix(List.of(
            new QueryRangeResponse.RawSeries(Map.of("gpu", "0", "UUID", "GPU-a"),
                List.of(new Series.Point(1700000000, 10), new Series.Point(1700000060, 12.25))),
            new QueryRangeResponse.RawSeries(Map.of(), List.of(new Series.Point(1700000000, 1000))))),
        parsed);
  }

  @Test
  void samplesThatAreNotFiniteNumbersAreLeftOut() {
    QueryRangeResponse.Parsed parsed = parse("""
        {"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{},"values":[[1,"NaN"],[2,"+Inf"],[3,"-Inf"],[4,"4"],[5,"Inf"]]}]}}""");

    assertEquals(List.of(new Series.Point(4, 4)),
        ((QueryRangeResponse.Parsed.Matrix) parsed).series().get(0).points());
  }

  @Test
  void anEmptyResultIsAMatrixWithoutSeries() {
    assertEquals(new QueryRangeResponse.Parsed.Matrix(List.of()),
        parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}"));
  }

  @Test
  void prometheusOwnErrorIsKeptInItsWords() {
    assertEquals(
        new QueryRangeResponse.Parsed.Failure("bad_data", "1:5: parse error: unexpected end of input inside braces"),
        parse("{\"status\":\"error\",\"errorType\":\"bad_data\","
            + "\"error\":\"1:5: parse error: unexpected end of input inside braces\"}"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      an HTML page                | <html><body>Sign in</body></html>        | not JSON
      a truncated body            | {"status":"success","data":{"resu        | not JSON
      an empty body               | ''                                       | not a JSON object
      a JSON array                | []                                       | not a JSON object
      no status                   | {"data":{}}                              | neither "success" nor "error"
      a vector                    | {"status":"success","data":{"resultType":"vector","result":[]}} | a "vector", not the "matrix"
      no result                   | {"status":"success","data":{"resultType":"matrix"}}             | data.result is not an array
      labels not an object        | {"status":"success","data":{"resultType":"matrix","result":[{"metric":[],"values":[]}]}} | data.result[0].metric is not an object
      a label not a string        | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{"gpu":0},"values":[]}]}} | data.result[0].metric.gpu is not a string
      no values                   | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}} | data.result[0].values is not an array
      a value as a number         | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}} | data.result[0].values[0] is not a [time, "value"] pair
      a time as a string          | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["1","2"]]}]}} | data.result[0].values[0] is not a [time, "value"] pair
      a pair of three             | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2",3]]}]}} | data.result[0].values[0] is not a [time, "value"] pair
      a value Java would take     | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1f"]]}]}} | data.result[0].values[0] has the value "1f", not a number
      a hexadecimal value         | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"0x1p3"]]}]}} | has the value "0x1p3", not a number
      a spelled-out infinity      | {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"Infinity"]]}]}} | has the value "Infinity", not a number
      """)
  void aBodyThatIsNotTheApisIsSaidToBeSo(String what, String body, String reason) {
    QueryRangeResponse.Parsed parsed = parse(body);

    QueryRangeResponse.Parsed.Malformed malformed = assertInstanceOf(QueryRangeResponse.Parsed.Malformed.class, parsed);
    assertTrue(malformed.reason().contains(reason), malformed.reason());
  }
}
