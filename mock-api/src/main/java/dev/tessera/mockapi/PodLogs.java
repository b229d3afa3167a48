package dev.tessera.mockapi;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/**
 * What the in-process API server answers for {@code GET .../pods/{name}/log}: a real API server asks
 * the pod's kubelet, and this server has none, so whoever simulates the kubelets says what the
 * containers printed. The server checks that the pod exists, applies {@code tailLines}, and answers
 * it as text; {@code follow} ends with what there is, as a container that exits does.
 */
@FunctionalInterface
public interface PodLogs {
  /**
   * The log of a pod's container, one line per entry, oldest first; empty when the container has
   * not started (the API server answers 400, as for a container waiting to start).
   *
   * @param pod the pod as the server holds it
   * @param container the container asked for, or null for the pod's only one
   */
  Optional<String> log(Pod pod, String container);
}
