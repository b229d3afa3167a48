package dev.tessera.controller.admission;

/**
 * The request is not an AdmissionReview whose {@code request.uid} can be read, so no
 * AdmissionReview can answer it: the server replies HTTP 400 with this message instead. A review
 * whose uid is readable but whose object is broken is answered with {@code allowed: false}.
 */
public final class MalformedReviewException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedReviewException(String message) {
    super(message);
  }
}
