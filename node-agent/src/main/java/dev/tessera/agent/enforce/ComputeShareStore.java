package dev.tessera.agent.enforce;

import java.time.Instant;
import java.util.List;

/**
 * Where the compute scheduler reads the paced tenants and writes their shares: the library's
 * compute files on a node ({@link ComputeShareFiles}), a simulated GPU in tests.
 */
public interface ComputeShareStore {

  /** Every paced container on every GPU of this node now. */
  List<ComputeTenant> read();

  /**
   * Lets the tenant have {@code effectivePercent} of its GPU until {@code leaseUntil}; its own share
   * after. False when the tenant is gone.
   */
  boolean set(ComputeTenant tenant, int effectivePercent, Instant leaseUntil);
}
