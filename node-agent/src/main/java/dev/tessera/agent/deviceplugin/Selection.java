package dev.tessera.agent.deviceplugin;

import java.util.Objects;

/** Which pod an {@code Allocate} is for, or why none could be found. */
public sealed interface Selection {

  /**
   * @param countMatches the pod holds as many GPUs as kubelet asked devices for; when false it was
   *     the oldest candidate and no candidate's count matched
   */
  record Found(PodClaim claim, boolean countMatches) implements Selection {
    public Found {
      Objects.requireNonNull(claim, "claim");
    }
  }

  /** @param explanation what was looked at and what to check, for the error kubelet reports */
  record NotFound(String explanation) implements Selection {
    public NotFound {
      Objects.requireNonNull(explanation, "explanation");
    }
  }
}
