package dev.tessera.extender.ha;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which extender replica decides: the holder of a {@code coordination.k8s.io} Lease (fabric8's
 * leader elector). The others keep their caches warm and wait; when the leader stops renewing
 * (killed, partitioned), one of them takes the Lease once it has expired.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  /**
   * Where the Lease is and how it is held.
   *
   * @param identity this replica's name in the Lease: its pod name, made unique per process
   * @param leaseDuration how long a Lease not renewed keeps others out: the failover time's main part
   */
  public record Settings(String namespace, String lease, String identity, Duration leaseDuration) {
    public Settings {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(identity, "identity");
      if (leaseDuration.compareTo(Duration.ofSeconds(3)) < 0) {
        throw new IllegalArgumentException("the lease duration must be at least 3s, was " + leaseDuration);
      }
    }

    /** The leader gives up when it could not renew for this long: two thirds of the lease. */
    Duration renewDeadline() {
      return leaseDuration.multipliedBy(2).dividedBy(3);
    }

    /** How often a standby tries the Lease and the leader renews it. */
    Duration retryPeriod() {
      return leaseDuration.dividedBy(5);
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private CompletableFuture<?> election;

  public Leadership(KubernetesClient client, Settings settings) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * Runs for the Lease from now on, in the background.
   *
   * @param onLeading runs once this replica holds the Lease
   * @param onLost runs when it held the Lease and lost it: the process should end, as its state
   *     may no longer be the cluster's
   */
  public synchronized void start(Runnable onLeading, Runnable onLost) {
    if (election != null) {
      throw new IllegalStateException("already running for the lease");
    }
    log.info("standing for leadership: Lease {}/{} as {}, lease {}s", settings.namespace(), settings.lease(),
        settings.identity(), settings.leaseDuration().toSeconds());
    election = client.leaderElector()
        .withConfig(new LeaderElectionConfigBuilder()
            .withName(settings.lease())
            .withLock(new LeaseLock(settings.namespace(), settings.lease(), settings.identity()))
            .withLeaseDuration(settings.leaseDuration())
            .withRenewDeadline(settings.renewDeadline())
            .withRetryPeriod(settings.retryPeriod())
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(new LeaderCallbacks(onLeading, onLost,
                leader -> log.info("the extender leader is now {}", leader)))
            .build())
        .build()
        .start();
  }

  /** Stops running; a leader releases the Lease, so a standby takes over without waiting for it to expire. */
  @Override
  public synchronized void close() {
    if (election != null) {
      election.cancel(true);
    }
  }
}
