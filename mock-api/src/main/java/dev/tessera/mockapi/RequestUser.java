package dev.tessera.mockapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Who a request is made as, as kube-apiserver's authentication and impersonation filters leave it
 * for admission ({@code userInfo} of an AdmissionReview). The in-process server checks no
 * credentials: a request is the cluster admin's, as with kubeadm's {@code admin.conf}, unless it
 * impersonates someone ({@code Impersonate-User}, {@code Impersonate-Group}, {@code
 * Impersonate-Uid}, {@code Impersonate-Extra-*}), as the console does for the user it acts for.
 * No impersonation is refused: the server evaluates no RBAC.
 *
 * @param uid null when none was given
 */
record RequestUser(String username, String uid, List<String> groups, Map<String, List<String>> extra) {
  static final String AUTHENTICATED = "system:authenticated";
  static final String UNAUTHENTICATED = "system:unauthenticated";
  static final String ANONYMOUS = "system:anonymous";
  private static final String SERVICE_ACCOUNT = "system:serviceaccount:";
  private static final String EXTRA = "impersonate-extra-";

  /** Whoever makes a request that impersonates nobody. */
  static final RequestUser ADMIN =
      new RequestUser("kubernetes-admin", null, List.of("system:masters", AUTHENTICATED), Map.of());

  RequestUser {
    Objects.requireNonNull(username, "username");
    groups = List.copyOf(groups);
    extra = Map.copyOf(extra);
  }

  /** The user of a request with these headers (names in any case, each with all its values). */
  static RequestUser of(Map<String, List<String>> headers) {
    Map<String, List<String>> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, values) -> byName.computeIfAbsent(name, n -> new ArrayList<>()).addAll(values));
    List<String> users = byName.getOrDefault("Impersonate-User", List.of());
    if (users.isEmpty() || users.get(0).isEmpty()) {
      return ADMIN;
    }
    String username = users.get(0);
    List<String> groups = new ArrayList<>(byName.getOrDefault("Impersonate-Group", List.of()));
    if (groups.isEmpty() && username.startsWith(SERVICE_ACCOUNT)) {
      // system:serviceaccount:NAMESPACE:NAME is given its ServiceAccount groups when none are asked for.
      String[] parts = username.substring(SERVICE_ACCOUNT.length()).split(":", -1);
      if (parts.length == 2) {
        groups.add("system:serviceaccounts");
        groups.add("system:serviceaccounts:" + parts[0]);
      }
    }
    // As the impersonation filter does: anyone but the anonymous user is authenticated, unless the
    // request says otherwise.
    if (!username.equals(ANONYMOUS)) {
      if (!groups.contains(AUTHENTICATED) && !groups.contains(UNAUTHENTICATED)) {
        groups.add(AUTHENTICATED);
      }
    } else if (!groups.contains(UNAUTHENTICATED)) {
      groups.add(UNAUTHENTICATED);
    }
    Map<String, List<String>> extra = new TreeMap<>();
    byName.forEach((name, values) -> {
      if (name.toLowerCase(Locale.ROOT).startsWith(EXTRA)) {
        String key = name.substring(EXTRA.length()).toLowerCase(Locale.ROOT);
        // The key is percent-encoded in the header name; '+' stays '+', as Go's PathUnescape reads it.
        extra.put(URLDecoder.decode(key.replace("+", "%2B"), StandardCharsets.UTF_8), List.copyOf(values));
      }
    });
    List<String> uids = byName.getOrDefault("Impersonate-Uid", List.of());
    return new RequestUser(username, uids.isEmpty() ? null : uids.get(0), groups, extra);
  }

  /** As an AdmissionReview's {@code userInfo}. */
  ObjectNode toJson(ObjectMapper json) {
    ObjectNode user = json.createObjectNode();
    user.put("username", username);
    if (uid != null && !uid.isEmpty()) {
      user.put("uid", uid);
    }
    if (!groups.isEmpty()) {
      groups.forEach(user.putArray("groups")::add);
    }
    if (!extra.isEmpty()) {
      ObjectNode out = user.putObject("extra");
      extra.forEach((key, values) -> values.forEach(out.withArrayProperty(key)::add));
    }
    return user;
  }
}
