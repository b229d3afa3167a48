package dev.tessera.console.history;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a workload's history: a phase change or a notable event (scheduling, reclaim, GPU
 * out of memory, policy), kept after Kubernetes' one-hour event lifetime and after the workload is
 * deleted.
 *
 * @param key what makes the entry unique, so recording it twice (a restart re-lists events) keeps
 *     one: the Kubernetes event's uid and count, or the workload's uid, phase and time for a phase
 *     change
 * @param workloadUid the workload's {@code metadata.uid}
 * @param namespace the workload's namespace (its project's)
 * @param kind the workload's kind ("Training", ...)
 * @param name the workload's name
 * @param time when it happened
 * @param category what sort of entry it is, for filtering
 * @param type "Normal" or "Warning", as on a Kubernetes event
 * @param reason a CamelCase word ("Scheduled", "Preempted", "GpuOutOfMemory", "Running")
 * @param message what a person should know
 * @param pod the pod it concerns, or null when it concerns the workload
 */
public record HistoryEvent(
    String key,
    String workloadUid,
    String namespace,
    String kind,
    String name,
    Instant time,
    Category category,
    String type,
    String reason,
    String message,
    String pod) {

  public HistoryEvent {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(workloadUid, "workloadUid");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(category, "category");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(reason, "reason");
    message = message == null ? "" : message;
  }

  /** What sort of entry an event is; the API's {@code category} filter takes the lower-case names. */
  public enum Category {
    /** The workload entered a phase. */
    STATUS,
    /** Placement: scheduled, refused, waiting for a gang, bound. */
    SCHEDULING,
    /** Taken back for a project under quota, or preempted by higher priority. */
    RECLAIM,
    /** A container asked for more GPU memory than its share. */
    GPU_OOM,
    /** A workload policy or project limit refused or changed something. */
    POLICY,
    OTHER
  }
}
