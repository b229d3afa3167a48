package dev.tessera.extender.http;

import static dev.tessera.extender.http.JsonReading.describe;
import static dev.tessera.extender.http.JsonReading.enterArray;
import static dev.tessera.extender.http.JsonReading.enterObject;
import static dev.tessera.extender.http.JsonReading.field;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tessera.api.WellKnown;
import dev.tessera.extender.model.PodKey;
import dev.tessera.extender.verbs.WirePod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the parts of a serialised {@code v1.Pod} that {@link WirePod} holds and skips the rest
 * (managed fields, volumes, status…) without building it.
 */
final class PodReader {
  private PodReader() {}

  /** The pod at the parser's current token; null when the value is JSON null. */
  static WirePod read(JsonParser p, String path) throws IOException, BadRequestException {
    if (!enterObject(p, path, "a v1.Pod object")) {
      return null;
    }
    Fields f = new Fields();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "metadata")) {
        readMetadata(p, path + ".metadata", f);
      } else if (field(key, "spec")) {
        readSpec(p, path + ".spec", f);
      } else {
        p.skipChildren();
      }
    }
    return new WirePod(
        new PodKey(
            ObjectNames.label(required(f.namespace, path + ".metadata.namespace"), path + ".metadata.namespace"),
            ObjectNames.subdomain(required(f.name, path + ".metadata.name"), path + ".metadata.name"),
            ObjectNames.uid(required(f.uid, path + ".metadata.uid"), path + ".metadata.uid")),
        f.labels,
        f.annotations,
        f.gpuQuantities,
        f.initGpuQuantities,
        f.priority);
  }

  /**
   * The {@code metadata.uid} of the pod at the parser's current token, for preemption victims sent
   * as whole pods.
   */
  static String readUid(JsonParser p, String path) throws IOException, BadRequestException {
    if (!enterObject(p, path, "a v1.Pod object")) {
      throw new BadRequestException(path + " is null; expected a v1.Pod object");
    }
    String uid = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "metadata") && enterObject(p, path + ".metadata", "an object")) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String metaKey = p.currentName();
          p.nextToken();
          if (field(metaKey, "uid")) {
            uid = JsonReading.string(p, path + ".metadata.uid");
          } else {
            p.skipChildren();
          }
        }
      } else {
        p.skipChildren();
      }
    }
    return required(uid, path + ".metadata.uid");
  }

  private static void readMetadata(JsonParser p, String path, Fields f)
      throws IOException, BadRequestException {
    if (!enterObject(p, path, "an object")) {
      return;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "name")) {
        f.name = JsonReading.string(p, path + ".name");
      } else if (field(key, "namespace")) {
        f.namespace = JsonReading.string(p, path + ".namespace");
      } else if (field(key, "uid")) {
        f.uid = JsonReading.string(p, path + ".uid");
      } else if (field(key, "labels")) {
        f.labels = JsonReading.stringMap(p, path + ".labels");
      } else if (field(key, "annotations")) {
        f.annotations = JsonReading.stringMap(p, path + ".annotations");
      } else {
        p.skipChildren();
      }
    }
  }

  private static void readSpec(JsonParser p, String path, Fields f)
      throws IOException, BadRequestException {
    if (!enterObject(p, path, "an object")) {
      return;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "containers")) {
        f.gpuQuantities = readContainers(p, path + ".containers");
      } else if (field(key, "initContainers")) {
        f.initGpuQuantities = readContainers(p, path + ".initContainers");
      } else if (field(key, "priority")) {
        f.priority =
            (int)
                JsonReading.integer(p, path + ".priority", Integer.MIN_VALUE, Integer.MAX_VALUE, 0);
      } else {
        p.skipChildren();
      }
    }
  }

  /** One entry per container: its GPU quantity as written, or null. */
  private static List<String> readContainers(JsonParser p, String path)
      throws IOException, BadRequestException {
    if (!enterArray(p, path, "an array of containers")) {
      return List.of();
    }
    List<String> quantities = new ArrayList<>(2);
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      String containerPath = path + "[" + quantities.size() + "]";
      if (t == JsonToken.VALUE_NULL) {
        quantities.add(null);
      } else if (t != JsonToken.START_OBJECT) {
        throw new BadRequestException(
            containerPath + " must be a container object, not " + describe(t));
      } else {
        quantities.add(readContainerGpus(p, containerPath));
      }
    }
    return quantities;
  }

  private static String readContainerGpus(JsonParser p, String path)
      throws IOException, BadRequestException {
    String limit = null;
    String request = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "resources") && enterObject(p, path + ".resources", "an object")) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String resKey = p.currentName();
          p.nextToken();
          if (field(resKey, "limits")) {
            limit = readGpuQuantity(p, path + ".resources.limits");
          } else if (field(resKey, "requests")) {
            request = readGpuQuantity(p, path + ".resources.requests");
          } else {
            p.skipChildren();
          }
        }
      } else {
        p.skipChildren();
      }
    }
    // kube-scheduler and kubelet take the limit for extended resources (requests must equal it
    // when both are set); a request alone is defaulted into the limit by the API server, but an
    // extender can see pods built by other clients, so fall back to it.
    return limit != null ? limit : request;
  }

  /** The {@code nvidia.com/gpu} entry of a resource list, as written. */
  private static String readGpuQuantity(JsonParser p, String path)
      throws IOException, BadRequestException {
    if (!enterObject(p, path, "an object of quantities")) {
      return null;
    }
    String quantity = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String resource = p.currentName();
      JsonToken v = p.nextToken();
      if (!WellKnown.GPU_RESOURCE.equals(resource)) {
        p.skipChildren();
        continue;
      }
      // resource.Quantity unmarshals from a JSON string or a bare number; keep the text so the
      // model parses one spelling of it.
      quantity =
          switch (v) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getText();
            case VALUE_NULL -> null;
            default ->
                throw new BadRequestException(
                    path
                        + "[\""
                        + resource
                        + "\"] must be a quantity (a string such as \"2\" or a number), not "
                        + describe(v));
          };
    }
    return quantity;
  }

  private static String required(String value, String path) throws BadRequestException {
    if (value == null || value.isEmpty()) {
      throw new BadRequestException(path + " is missing");
    }
    return value;
  }

  /** The fields of one pod as they are found; the body may list them in any order. */
  private static final class Fields {
    String name;
    String namespace;
    String uid;
    Map<String, String> labels = Map.of();
    Map<String, String> annotations = Map.of();
    List<String> gpuQuantities = List.of();
    List<String> initGpuQuantities = List.of();
    int priority;
  }
}
