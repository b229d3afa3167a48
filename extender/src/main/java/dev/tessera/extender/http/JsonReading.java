package dev.tessera.extender.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small steps shared by the wire readers, each over a parser positioned on a value. */
final class JsonReading {
  private JsonReading() {}

  /**
   * Whether a JSON key names a Go struct field. Go's decoder matches keys case-insensitively (after
   * an exact match fails), so kube-scheduler or any other Go client may be answered for {@code
   * "nodenames"} as for {@code "NodeNames"}. Map keys (labels, resource names) are data and are
   * compared exactly elsewhere.
   */
  static boolean field(String key, String goName) {
    return goName.equalsIgnoreCase(key);
  }

  /** The current value as a string, null for JSON null; anything else is bad input. */
  static String string(JsonParser p, String path) throws IOException, BadRequestException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    throw new BadRequestException(path + " must be a string, not " + describe(t));
  }

  /** The current value as a string-to-string map (labels, annotations); null reads as empty. */
  static Map<String, String> stringMap(JsonParser p, String path)
      throws IOException, BadRequestException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    if (t != JsonToken.START_OBJECT) {
      throw new BadRequestException(path + " must be an object of strings, not " + describe(t));
    }
    Map<String, String> map = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      if (v == JsonToken.VALUE_STRING) {
        map.put(key, p.getText());
      } else if (v == JsonToken.VALUE_NULL) {
        map.put(key, ""); // what Go's decoder leaves in a map[string]string for null
      } else {
        throw new BadRequestException(
            path + "[\"" + key + "\"] must be a string, not " + describe(v));
      }
    }
    return map;
  }

  /** The current value as an integer in {@code [min, max]}; null reads as {@code absent}. */
  static long integer(JsonParser p, String path, long min, long max, long absent)
      throws IOException, BadRequestException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return absent;
    }
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw new BadRequestException(path + " must be an integer, not " + describe(t));
    }
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw new BadRequestException(path + " is " + p.getText() + ", outside " + min + ".." + max);
    }
    long v = p.getLongValue();
    if (v < min || v > max) {
      throw new BadRequestException(path + " is " + v + ", outside " + min + ".." + max);
    }
    return v;
  }

  /** Fails unless the current value is an object; false for null. */
  static boolean enterObject(JsonParser p, String path, String what) throws BadRequestException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_OBJECT) {
      return true;
    }
    if (t == JsonToken.VALUE_NULL) {
      return false;
    }
    throw new BadRequestException(path + " must be " + what + ", not " + describe(t));
  }

  /** Fails unless the current value is an array; false for null. */
  static boolean enterArray(JsonParser p, String path, String what) throws BadRequestException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_ARRAY) {
      return true;
    }
    if (t == JsonToken.VALUE_NULL) {
      return false;
    }
    throw new BadRequestException(path + " must be " + what + ", not " + describe(t));
  }

  /** A token named the way a person reading the error thinks of JSON. */
  static String describe(JsonToken t) {
    if (t == null) {
      return "the end of the body";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.asString() == null ? t.name() : t.asString();
    };
  }
}
