package dev.tessera.extender.policy;

import dev.tessera.api.conditions.Condition;
import dev.tessera.api.conditions.Conditioned;
import dev.tessera.api.policy.PolicyResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sets the {@value Condition#ACCEPTED} condition on a policy object through its status
 * subresource, and only when it would change: a status write is itself a watch event, so writing
 * unconditionally would recompute and write again forever. Other conditions and status fields are
 * kept. The write carries the object's resourceVersion: if someone changed the object meanwhile,
 * the API answers 409 and the newer version's event brings the object round again.
 *
 * <p>Between a write and its watch event, the informer still holds the old version; the writer
 * remembers which version it wrote over so that a recomputation in that window does not write the
 * same thing again.
 */
public final class StatusWriter {
  /** What one call did. */
  public enum Outcome {
    /** The status already said this (or our write of it is on its way back). */
    UNCHANGED,
    WRITTEN,
    /** The object changed or went away meanwhile; its next event will bring it back. */
    STALE
  }

  private final KubernetesClient client;
  private final Clock clock;
  /** Object key to the resourceVersion our last write replaced, and what we wrote. */
  private final Map<String, Written> inFlight = new ConcurrentHashMap<>();

  private record Written(String overVersion, Condition condition) {}

  public StatusWriter(KubernetesClient client, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Writes the verdict's condition on the object if its status says something else.
   *
   * @throws KubernetesClientException when the API refuses the write for another reason than a
   *     conflict or a deletion (the caller logs it and tries again later)
   */
  public Outcome apply(PolicyResource<?, ?> current, Verdict verdict) {
    return applyTyped(current, verdict);
  }

  private <T extends Conditioned<T>> Outcome applyTyped(PolicyResource<?, T> current, Verdict verdict) {
    ObjectMeta meta = current.getMetadata();
    String key = key(current);
    Condition wanted = verdict.condition(meta.getGeneration());
    T status = current.statusOrEmpty();
    Condition existing = Condition.find(status.conditions(), Condition.ACCEPTED);
    if (wanted.sameAs(existing)) {
      inFlight.remove(key);
      return Outcome.UNCHANGED;
    }
    Written pending = inFlight.get(key);
    if (pending != null && Objects.equals(pending.overVersion, meta.getResourceVersion())
        && wanted.sameAs(pending.condition)) {
      return Outcome.UNCHANGED;
    }

    boolean transition = existing == null || !Objects.equals(existing.status(), wanted.status());
    Condition stamped = wanted.at(
        transition || existing.lastTransitionTime() == null
            ? Condition.timestamp(clock.instant())
            : existing.lastTransitionTime());
    List<Condition> conditions = new ArrayList<>();
    boolean replaced = false;
    if (status.conditions() != null) {
      for (Condition c : status.conditions()) {
        if (c != null && Condition.ACCEPTED.equals(c.type())) {
          if (!replaced) {
            conditions.add(stamped);
            replaced = true;
          }
        } else if (c != null) {
          conditions.add(c);
        }
      }
    }
    if (!replaced) {
      conditions.add(stamped);
    }

    PolicyResource<?, T> copy = client.getKubernetesSerialization().clone(current);
    copy.setStatus(status.withConditions(List.copyOf(conditions)));
    try {
      write(copy);
    } catch (KubernetesClientException e) {
      inFlight.remove(key);
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return Outcome.STALE;
      }
      throw e;
    }
    inFlight.put(key, new Written(meta.getResourceVersion(), stamped));
    return Outcome.WRITTEN;
  }

  /** Forgets an object that is gone. */
  public void forget(PolicyResource<?, ?> resource) {
    inFlight.remove(key(resource));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void write(PolicyResource<?, ?> copy) {
    Class<PolicyResource> type = (Class<PolicyResource>) copy.getClass();
    if (copy.getMetadata().getNamespace() != null) {
      client.resources(type).inNamespace(copy.getMetadata().getNamespace()).resource(copy).updateStatus();
    } else {
      client.resources(type).resource(copy).updateStatus();
    }
  }

  private static String key(PolicyResource<?, ?> resource) {
    ObjectMeta meta = resource.getMetadata();
    return resource.getKind() + "/" + meta.getNamespace() + "/" + meta.getName();
  }
}
