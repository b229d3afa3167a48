package dev.tessera.extender.telemetry;

import dev.tessera.extender.model.Project;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.ProjectFigures;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Per project and pool, in GPUs: {@code tessera_project_deserved_gpus}, {@code
 * tessera_project_fair_share_gpus}, {@code tessera_project_allocated_gpus}, {@code
 * tessera_project_pending_gpus} and {@code tessera_project_limit_gpus} ({@code +Inf} when the
 * project has no limit in the pool), and its {@code tessera_project_over_quota_weight} there, read
 * from the latest {@link PolicySnapshot} when scraped (KAI's {@code queue_fair_share_gpu} and
 * {@code queue_allocated_gpus}, per pool). Gauges appear with a project and go with it: {@link
 * #update} is called with every new snapshot.
 */
public final class ProjectMetrics {
  /** One figure of a project in a pool, from a policy snapshot. */
  @FunctionalInterface
  private interface Value {
    double of(PolicySnapshot policy, String project, String pool);
  }

  private record Figure(String name, String description, Value value) {}

  private static final List<Figure> FIGURES = List.of(
      figure("tessera.project.deserved.gpus", "GPUs the project's quota guarantees in the pool", ProjectFigures::deserved),
      figure("tessera.project.fair.share.gpus", "The project's fair share of the pool's GPUs", ProjectFigures::fairShare),
      figure("tessera.project.allocated.gpus", "GPUs the project's pods hold in the pool", ProjectFigures::allocated),
      figure("tessera.project.pending.gpus", "GPUs the project's pending pods ask for in the pool", ProjectFigures::pending),
      figure("tessera.project.limit.gpus", "The most GPUs the project may hold in the pool; +Inf for no limit",
          ProjectFigures::limit),
      new Figure("tessera.project.over.quota.weight",
          "The project's share, relative to other projects', of the pool's idle GPUs beyond deserved",
          (policy, project, pool) -> {
            Project p = policy.policy().projects().get(project);
            return p == null ? Double.NaN : p.quota(pool).overQuotaWeight();
          }));

  private static Figure figure(String name, String description, ToDoubleFunction<ProjectFigures> value) {
    return new Figure(name, description, (policy, project, pool) -> value.applyAsDouble(policy.figures(project, pool)));
  }

  private final MeterRegistry registry;
  private final Supplier<PolicySnapshot> policy;
  /** "project\npool" to its gauges. Only the updating thread touches it. */
  private final Map<String, List<Meter>> registered = new HashMap<>();

  public ProjectMetrics(MeterRegistry registry, Supplier<PolicySnapshot> policy) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** Adds gauges for new projects and pools, removes those of projects and pools that went. */
  public void update(PolicySnapshot snapshot) {
    Set<String> present = new java.util.HashSet<>();
    snapshot.allFigures().forEach((project, byPool) -> byPool.keySet().forEach(pool -> {
      String key = project + "\n" + pool;
      present.add(key);
      registered.computeIfAbsent(key, k -> register(project, pool));
    }));
    registered.entrySet().removeIf(entry -> {
      if (present.contains(entry.getKey())) {
        return false;
      }
      entry.getValue().forEach(registry::remove);
      return true;
    });
  }

  private List<Meter> register(String project, String pool) {
    return FIGURES.stream()
        .<Meter>map(figure -> Gauge.builder(
                figure.name(), policy, p -> figure.value().of(p.get(), project, pool))
            .description(figure.description())
            .tag("project", project)
            .tag("pool", pool)
            .strongReference(true)
            .register(registry))
        .toList();
  }
}
