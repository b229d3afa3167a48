package dev.tessera.extender.http;

import static dev.tessera.extender.http.JsonReading.describe;
import static dev.tessera.extender.http.JsonReading.enterArray;
import static dev.tessera.extender.http.JsonReading.enterObject;
import static dev.tessera.extender.http.JsonReading.field;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.verbs.ExtenderHandler;
import dev.tessera.extender.verbs.WirePod;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Parses kube-scheduler's extender request bodies ({@code k8s.io/kube-scheduler/extender/v1}) from
 * the received bytes. It streams over the body once, keeps only what Tessera uses and skips the
 * rest unparsed, because in full-node mode a request is megabytes of {@code v1.Node} objects and
 * filter sits on every scheduling cycle's critical path.
 *
 * <p>Keys of the Go types match case-insensitively, as with Go's decoder. Anything that would not
 * decode into those types, or lacks what Tessera needs, is a {@link BadRequestException} naming the
 * field. Thread-safe.
 */
public final class WireReader {
  private static final Pattern SOURCE_LOCATION =
      Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

  private final JsonFactory json;
  private final Supplier<RequestedNodes.Builder> nodeLists;

  /** A reader that resolves node names in no table. */
  public WireReader() {
    this(RequestedNodes::builder);
  }

  /**
   * @param nodeLists gives each request's node-list builder, which resolves names in the handler's
   *     node table as they are read (see {@link ExtenderHandler#requestedNodes})
   */
  public WireReader(Supplier<RequestedNodes.Builder> nodeLists) {
    this(new JsonFactory(), nodeLists);
  }

  public WireReader(JsonFactory json, Supplier<RequestedNodes.Builder> nodeLists) {
    this.json = Objects.requireNonNull(json, "json");
    this.nodeLists = Objects.requireNonNull(nodeLists, "nodeLists");
  }

  /**
   * Reads {@code ExtenderArgs {Pod, Nodes, NodeNames}}. When both NodeNames and Nodes are set
   * (kube-scheduler sends one), the names win and the answer is in nodeCacheCapable form.
   */
  public ExtenderArgs readExtenderArgs(ByteBuf body) throws BadRequestException {
    return parse(
        body,
        "ExtenderArgs",
        p -> {
          WirePod pod = null;
          RequestedNodes names = null;
          NodeListReading nodes = null;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            if (field(key, "Pod")) {
              pod = PodReader.read(p, "Pod");
            } else if (field(key, "NodeNames")) {
              names = readNodeNames(p);
            } else if (field(key, "Nodes")) {
              nodes = readNodeList(p);
            } else {
              p.skipChildren();
            }
          }
          if (pod == null) {
            throw new BadRequestException("Pod is missing");
          }
          if (names != null) {
            // Read-only: the answer is checked against what was sent.
            return new ExtenderArgs(pod, names, null);
          }
          if (nodes != null) {
            return new ExtenderArgs(
                pod,
                nodes.names.build(),
                Arrays.copyOf(nodes.spans, nodes.spanCount));
          }
          throw new BadRequestException(
              "neither NodeNames nor Nodes is set; kube-scheduler sends one of them");
        });
  }

  /** Reads {@code ExtenderBindingArgs {PodName, PodNamespace, PodUID, Node}}; all are required. */
  public ExtenderHandler.BindRequest readBindingArgs(ByteBuf body) throws BadRequestException {
    return parse(
        body,
        "ExtenderBindingArgs",
        p -> {
          String podName = null;
          String podNamespace = null;
          String podUid = null;
          String node = null;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            if (field(key, "PodName")) {
              podName = JsonReading.string(p, "PodName");
            } else if (field(key, "PodNamespace")) {
              podNamespace = JsonReading.string(p, "PodNamespace");
            } else if (field(key, "PodUID")) {
              podUid = JsonReading.string(p, "PodUID");
            } else if (field(key, "Node")) {
              node = JsonReading.string(p, "Node");
            } else {
              p.skipChildren();
            }
          }
          return new ExtenderHandler.BindRequest(
              ObjectNames.subdomain(required(podName, "PodName"), "PodName"),
              ObjectNames.label(required(podNamespace, "PodNamespace"), "PodNamespace"),
              ObjectNames.uid(required(podUid, "PodUID"), "PodUID"),
              ObjectNames.subdomain(required(node, "Node"), "Node"));
        });
  }

  /**
   * Reads {@code ExtenderPreemptionArgs {Pod, NodeNameToVictims, NodeNameToMetaVictims}}. Victims
   * come as UIDs (nodeCacheCapable) or as whole pods, of which only {@code metadata.uid} is kept;
   * when both are set, the UIDs win.
   */
  public PreemptionArgs readPreemptionArgs(ByteBuf body) throws BadRequestException {
    return parse(
        body,
        "ExtenderPreemptionArgs",
        p -> {
          WirePod pod = null;
          Victims full = null;
          Victims meta = null;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            if (field(key, "Pod")) {
              pod = PodReader.read(p, "Pod");
            } else if (field(key, "NodeNameToMetaVictims")) {
              meta = readVictims(p, "NodeNameToMetaVictims", true);
            } else if (field(key, "NodeNameToVictims")) {
              full = readVictims(p, "NodeNameToVictims", false);
            } else {
              p.skipChildren();
            }
          }
          if (pod == null) {
            throw new BadRequestException("Pod is missing");
          }
          Victims victims = meta != null ? meta : full != null ? full : new Victims();
          return new PreemptionArgs(
              pod,
              Collections.unmodifiableMap(victims.uids),
              Collections.unmodifiableMap(victims.pdbViolations));
        });
  }

  private RequestedNodes readNodeNames(JsonParser p) throws IOException, BadRequestException {
    if (!enterArray(p, "NodeNames", "an array of strings")) {
      return null;
    }
    RequestedNodes.Builder names = nodeLists.get();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.VALUE_STRING) {
        throw new BadRequestException(
            "NodeNames must be an array of strings; NodeNames["
                + names.size()
                + "] is "
                + describe(t));
      }
      if (!names.addKnown(p.getTextCharacters(), p.getTextOffset(), p.getTextLength())) {
        names.add(p.getText());
      }
    }
    return names.build();
  }

  /** Names and byte spans of a {@code v1.NodeList}'s items. */
  private NodeListReading readNodeList(JsonParser p)
      throws IOException, BadRequestException {
    if (!enterObject(p, "Nodes", "a v1.NodeList object")) {
      return null;
    }
    NodeListReading nodes = new NodeListReading(nodeLists.get());
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "items")) {
        // A repeated key replaces the earlier value, as in Go.
        nodes = new NodeListReading(nodeLists.get());
        readNodeItems(p, nodes);
      } else {
        p.skipChildren();
      }
    }
    return nodes;
  }

  private static void readNodeItems(JsonParser p, NodeListReading nodes)
      throws IOException, BadRequestException {
    if (!enterArray(p, "Nodes.items", "an array of v1.Node objects")) {
      return;
    }
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      int index = nodes.names.size();
      if (t != JsonToken.START_OBJECT) {
        throw new BadRequestException(
            "Nodes.items[" + index + "] must be a v1.Node object, not " + describe(t));
      }
      int start = offset(p);
      String name = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        // Paths for error messages are built only on error: this loop runs once per node.
        if (field(key, "metadata") && p.currentToken() == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String metaKey = p.currentName();
            p.nextToken();
            if (field(metaKey, "name") && p.currentToken() == JsonToken.VALUE_STRING) {
              name = p.getText();
            } else if (field(metaKey, "name") && p.currentToken() != JsonToken.VALUE_NULL) {
              throw new BadRequestException(
                  "Nodes.items["
                      + index
                      + "].metadata.name must be a string, not "
                      + describe(p.currentToken()));
            } else {
              p.skipChildren();
            }
          }
        } else if (field(key, "metadata") && p.currentToken() != JsonToken.VALUE_NULL) {
          throw new BadRequestException(
              "Nodes.items["
                  + index
                  + "].metadata must be an object, not "
                  + describe(p.currentToken()));
        } else {
          p.skipChildren();
        }
      }
      if (name == null || name.isEmpty()) {
        throw new BadRequestException("Nodes.items[" + index + "].metadata.name is missing");
      }
      nodes.add(name, start, offset(p) + 1);
    }
  }

  /** Victims per node; UIDs from {@code MetaPod {UID}} or from whole pods' metadata. */
  private static Victims readVictims(JsonParser p, String path, boolean meta)
      throws IOException, BadRequestException {
    if (!enterObject(p, path, "an object of victims per node name")) {
      return null;
    }
    Victims victims = new Victims();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String node = p.currentName();
      String nodePath = path + "[\"" + node + "\"]";
      p.nextToken();
      if (!enterObject(p, nodePath, "an object {Pods, NumPDBViolations}")) {
        continue; // a nil *Victims: nothing offered on that node
      }
      List<String> uids = new ArrayList<>();
      long pdbViolations = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        if (field(key, "Pods")) {
          uids = readVictimPods(p, nodePath + ".Pods", meta);
        } else if (field(key, "NumPDBViolations")) {
          pdbViolations =
              JsonReading.integer(p, nodePath + ".NumPDBViolations", 0, Long.MAX_VALUE, 0);
        } else {
          p.skipChildren();
        }
      }
      victims.uids.put(node, Collections.unmodifiableList(uids));
      victims.pdbViolations.put(node, pdbViolations);
    }
    return victims;
  }

  private static List<String> readVictimPods(JsonParser p, String path, boolean meta)
      throws IOException, BadRequestException {
    List<String> uids = new ArrayList<>();
    if (!enterArray(p, path, meta ? "an array of {UID} objects" : "an array of v1.Pod objects")) {
      return uids;
    }
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String podPath = path + "[" + uids.size() + "]";
      uids.add(meta ? readMetaPodUid(p, podPath) : PodReader.readUid(p, podPath));
    }
    return uids;
  }

  private static String readMetaPodUid(JsonParser p, String path)
      throws IOException, BadRequestException {
    if (!enterObject(p, path, "an object {UID}")) {
      throw new BadRequestException(path + " is null; expected an object {UID}");
    }
    String uid = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      if (field(key, "UID")) {
        uid = JsonReading.string(p, path + ".UID");
      } else {
        p.skipChildren();
      }
    }
    return required(uid, path + ".UID");
  }

  private static String required(String value, String path) throws BadRequestException {
    if (value == null || value.isEmpty()) {
      throw new BadRequestException(path + " is missing");
    }
    return value;
  }

  /** Byte offset of the current token, relative to where the body starts. */
  private static int offset(JsonParser p) {
    // Bodies are bounded by --max-request-bytes (an int), so the offset fits.
    return (int) p.currentTokenLocation().getByteOffset();
  }

  /** Opens the body, checks it is one JSON object with nothing after it, and reads it. */
  private <T> T parse(ByteBuf body, String type, Body<T> reader) throws BadRequestException {
    if (!body.isReadable()) {
      throw new BadRequestException("request body is empty; expected " + type + " JSON");
    }
    try (JsonParser p = open(body)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new BadRequestException(
            "request body must be a JSON object (" + type + "), not " + describe(first));
      }
      T value = reader.read(p);
      JsonToken trailing = p.nextToken();
      if (trailing != null) {
        throw new BadRequestException(
            "request body has "
                + describe(trailing)
                + " after the "
                + type
                + " object at line "
                + p.currentTokenLocation().getLineNr()
                + " column "
                + p.currentTokenLocation().getColumnNr());
      }
      return value;
    } catch (StreamConstraintsException e) {
      throw new BadRequestException(
          "request JSON exceeds a parser limit: " + e.getOriginalMessage());
    } catch (JsonParseException e) {
      throw new BadRequestException(
          "malformed JSON at line "
              + e.getLocation().getLineNr()
              + " column "
              + e.getLocation().getColumnNr()
              + ": "
              + withoutSource(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw new BadRequestException("unreadable JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      // The body is already in memory, so this is not a network failure.
      throw new BadRequestException("unreadable request body: " + e.getMessage());
    }
  }

  /**
   * Jackson names a second location inside some messages ("start marker at [Source: REDACTED …;
   * line: 1, column: 1]"); keep just the position, which is all the caller can use.
   */
  private static String withoutSource(String message) {
    return SOURCE_LOCATION.matcher(message).replaceAll("line $1 column $2");
  }

  private JsonParser open(ByteBuf body) throws IOException {
    if (body.hasArray()) {
      return json.createParser(
          body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes());
    }
    // Direct or composite buffers (what the HTTP aggregator hands over): stream them through the
    // parser's own recycled buffer rather than copying the body into a heap array first.
    return json.createParser((InputStream) new ByteBufInputStream(body.duplicate()));
  }

  @FunctionalInterface
  private interface Body<T> {
    T read(JsonParser p) throws IOException, BadRequestException;
  }

  /** The names of a NodeList's items and two offsets each, grown as the items are read. */
  private static final class NodeListReading {
    final RequestedNodes.Builder names;
    int[] spans = new int[64];
    int spanCount;

    NodeListReading(RequestedNodes.Builder names) {
      this.names = names;
    }

    void add(String name, int start, int end) {
      if (spanCount + 2 > spans.length) {
        spans = Arrays.copyOf(spans, spans.length * 2);
      }
      spans[spanCount++] = start;
      spans[spanCount++] = end;
      names.add(name);
    }
  }

  private static final class Victims {
    final Map<String, List<String>> uids = new LinkedHashMap<>();
    final Map<String, Long> pdbViolations = new LinkedHashMap<>();
  }
}
