package dev.tessera.extender.ha;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label on the leader's own pod that the extender's Service selects, so that kube-scheduler,
 * the admission webhook and the node agents reach only the leader. Readiness cannot do it: a
 * standby that is never Ready would stop every rolling update (the Deployment waits for new pods
 * to be available before it retires the leader).
 */
public final class LeaderLabel {
  private static final Logger log = LoggerFactory.getLogger(LeaderLabel.class);

  /** The label the Service in deploy/20-extender.yaml selects, with the value "true". */
  public static final String LABEL = "tessera.dev/leader";

  private final KubernetesClient client;
  private final String namespace;
  private final String pod;

  /**
   * @param pod this replica's pod (the downward API's POD_NAME), or null when it runs outside a pod:
   *     then nothing is labelled
   */
  public LeaderLabel(KubernetesClient client, String namespace, String pod) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.pod = pod;
  }

  /** This replica leads: traffic may come to it. */
  public void mark() {
    patch("{\"metadata\":{\"labels\":{\"" + LABEL + "\":\"true\"}}}", "labelled pod {}/{} as the leader");
  }

  /**
   * This replica does not lead (yet): a restarted former leader's pod keeps its labels, and must
   * not get traffic before it wins the Lease again.
   */
  public void clear() {
    patch("{\"metadata\":{\"labels\":{\"" + LABEL + "\":null}}}", "pod {}/{} is not labelled leader");
  }

  private void patch(String body, String done) {
    if (pod == null || pod.isBlank()) {
      log.info("POD_NAME is not set (not running in a pod): no leader label to set; route to the leader"
          + " another way");
      return;
    }
    try {
      client.pods().inNamespace(namespace).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE), body);
      log.info(done, namespace, pod);
    } catch (KubernetesClientException e) {
      throw new IllegalStateException("cannot label pod " + namespace + "/" + pod + " (HTTP " + e.getCode() + ": "
          + e.getMessage() + "); the Service would not route to the leader. Check the RBAC for pods/patch", e);
    }
  }
}
