package dev.tessera.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.WellKnown;
import dev.tessera.controller.external.ApiOwnerReader;
import dev.tessera.controller.external.ExternalWorkloads;
import dev.tessera.controller.external.PodMutation;
import dev.tessera.controller.external.ProjectNamespaces;
import dev.tessera.controller.external.TopOwners;
import dev.tessera.controller.workloads.controller.AgentEventWatch;
import dev.tessera.controller.workloads.controller.WorkloadController;
import dev.tessera.controller.workloads.controller.WorkloadEventMirror;
import dev.tessera.controller.workloads.controller.WorkloadEvents;
import dev.tessera.controller.workloads.scaling.ReplicaScraper;
import dev.tessera.controller.workloads.scaling.RequestLoad;
import dev.tessera.extender.ExtenderConfig;
import dev.tessera.extender.actions.ApiEvictor;
import dev.tessera.extender.actions.Binder;
import dev.tessera.extender.actions.KubernetesPodEvents;
import dev.tessera.extender.actions.PacedWriter;
import dev.tessera.extender.actions.PodEvents;
import dev.tessera.extender.actions.PodWaker;
import dev.tessera.extender.controllers.AssumptionSweeper;
import dev.tessera.extender.controllers.ReclaimController;
import dev.tessera.extender.controllers.RefusedPods;
import dev.tessera.extender.controllers.Unschedulable;
import dev.tessera.extender.gangs.GangCoordinator;
import dev.tessera.extender.gangs.GangMonitor;
import dev.tessera.extender.gangs.GangPreemptionController;
import dev.tessera.extender.gangs.PreemptionClaims;
import dev.tessera.extender.http.ExtenderServer;
import dev.tessera.extender.informers.ClusterInformers;
import dev.tessera.extender.ledger.ClusterCache;
import dev.tessera.extender.ledger.CpuLedger;
import dev.tessera.extender.ledger.DoubleBookings;
import dev.tessera.extender.ledger.PodIndex;
import dev.tessera.extender.ledger.PodRequests;
import dev.tessera.extender.ledger.PolicyState;
import dev.tessera.extender.ledger.Readiness;
import dev.tessera.extender.policy.PolicyInformers;
import dev.tessera.extender.policy.ProjectStatusWriter;
import dev.tessera.extender.scheduling.GangPlanner;
import dev.tessera.extender.scheduling.GangPreemption;
import dev.tessera.extender.scheduling.Placement;
import dev.tessera.extender.scheduling.PolicySnapshot;
import dev.tessera.extender.scheduling.VictimSelector;
import dev.tessera.extender.telemetry.AgentReports;
import dev.tessera.extender.telemetry.AllocationMetrics;
import dev.tessera.extender.telemetry.CacheMetrics;
import dev.tessera.extender.telemetry.GpuMemoryMetrics;
import dev.tessera.extender.telemetry.NodeMetrics;
import dev.tessera.extender.telemetry.NodeReportServer;
import dev.tessera.extender.telemetry.PodWaitMetrics;
import dev.tessera.extender.telemetry.ProjectMetrics;
import dev.tessera.extender.telemetry.ReportConfig;
import dev.tessera.extender.telemetry.ReportListener;
import dev.tessera.extender.verbs.SchedulingExtender;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running extender: cache, informers, webhook server and their threads, wired by hand in one
 * place. Used by the cluster mode and the embedded demo alike.
 */
public final class ExtenderRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExtenderRuntime.class);
  public static final Duration DEFAULT_RESYNC = Duration.ofMinutes(5);
  private static final Duration SWEEP_PERIOD = Duration.ofSeconds(5);
  private static final Duration SYNC_TIMEOUT = Duration.ofMinutes(2);
  /** How often project figures are recomputed when something changed. */
  private static final Duration POLICY_PERIOD = Duration.ofMillis(100);
  private static final Duration GANG_PERIOD = Duration.ofSeconds(1);
  private static final Duration RECLAIM_PERIOD = Duration.ofSeconds(1);
  /**
   * How often the replicas of inferences scaling on requests are read, each round deciding again:
   * Knative's autoscaler reads every 2 s, the HPA every 15 s; a request rate over 5 s is steady
   * enough to act on, and scaling up follows a burst within seconds.
   */
  private static final Duration SCRAPE_PERIOD = Duration.ofSeconds(5);
  /** How long one read of a replica's metrics page may take, connecting included. */
  private static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(2);
  /** The HTTP client's threads for those reads: they only parse pages, the waiting is asynchronous. */
  private static final int SCRAPE_THREADS = 2;
  /** A project's status is written at most this often. */
  private static final Duration PROJECT_STATUS_PERIOD = Duration.ofSeconds(10);
  /** How often refused pods are looked at for their reason having gone away. */
  private static final Duration REQUEUE_PERIOD = Duration.ofMillis(250);
  /**
   * Binds in flight at once. Each waits on one API call (a gang member's also up to two seconds for
   * its mates' places to be accepted); kube-scheduler starts a binding as soon as it has chosen a
   * node, so a burst of pods means as many binds at once.
   */
  private static final int BIND_THREADS = 32;
  /**
   * Events (one per bind, and the workloads' copies) are written at most this many a second after a
   * burst of as many: a burst of binds then does not double the API server's writes while it lasts
   * (docs/decisions.md, "Events wait for binds").
   */
  private static final int EVENTS_PER_SECOND = 20;
  /** Pods woken per second at most: after an outage, thousands may wait. */
  private static final int WAKES_PER_SECOND = 100;
  /**
   * How often the per-node, per-pod, per-workload and pending-pod series are brought in line with
   * the cluster, and pending pods counted: off the scheduling path, on the timer thread.
   */
  private static final Duration METRICS_PERIOD = Duration.ofSeconds(5);
  /** The most per-pod GPU allocation series (docs/decisions.md, "Metrics: what they cost"). */
  private static final int MAX_POD_SERIES = 10_000;

  private final ScheduledExecutorService scheduler;
  private final ExecutorService binds;
  private final ExecutorService eventWriter;
  private final ClusterCache cache;
  private final ClusterInformers informers;
  private final ExtenderServer server;
  private final NodeReportServer reportServer;
  private final PolicyInformers policyInformers;
  private final PolicyState policyState;
  private final ApiEvictor evictor;
  private final WorkloadController workloads;
  private final ExecutorService workloadPolicyWriter;
  private final ExecutorService scrapes;
  private final AgentEventWatch agentEvents;
  private final PrometheusMeterRegistry registry;
  private final ScheduledExecutorService requeue;
  private final PodWaker waker;
  private final AgentReports agentReports;
  /** One thread per periodic job that calls the API server; shut down on close. */
  private final List<ScheduledExecutorService> apiThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The JVM metrics binders that hold resources (the GC listener); closed with the runtime. */
  private AutoCloseable jvmMetrics = () -> {};
  /** Reads pods' owners for the pod webhook, one GET each. */
  private ApiOwnerReader ownerReader;
  private ExternalWorkloads externalWorkloads;
  private ProjectNamespaces projectNamespaces;
  /** Set by start; run and cleared by the first activate(). Guarded by this. */
  private Activation activation;

  private ExtenderRuntime(
      ScheduledExecutorService scheduler,
      ExecutorService binds,
      ExecutorService eventWriter,
      ClusterCache cache,
      ClusterInformers informers,
      ExtenderServer server,
      NodeReportServer reportServer,
      PolicyInformers policyInformers,
      PolicyState policyState,
      ApiEvictor evictor,
      WorkloadController workloads,
      ExecutorService workloadPolicyWriter,
      ExecutorService scrapes,
      AgentEventWatch agentEvents,
      PrometheusMeterRegistry registry,
      ScheduledExecutorService requeue,
      PodWaker waker,
      AgentReports agentReports) {
    this.requeue = requeue;
    this.waker = waker;
    this.scheduler = scheduler;
    this.binds = binds;
    this.eventWriter = eventWriter;
    this.cache = cache;
    this.informers = informers;
    this.server = server;
    this.reportServer = reportServer;
    this.policyInformers = policyInformers;
    this.policyState = policyState;
    this.evictor = evictor;
    this.workloads = workloads;
    this.workloadPolicyWriter = workloadPolicyWriter;
    this.scrapes = scrapes;
    this.agentEvents = agentEvents;
    this.registry = registry;
    this.agentReports = agentReports;
  }

  /**
   * Starts the server first (so {@code /healthz} answers and {@code /readyz} says "not yet"), then
   * the informers, and returns once the cache has synced.
   */
  public static ExtenderRuntime start(
      ExtenderConfig config, Duration resyncPeriod, KubernetesClient client) throws Exception {
    return start(config, ReportConfig.defaults().withPort(0), resyncPeriod, client);
  }

  /** As {@link #start(ExtenderConfig, Duration, KubernetesClient)}, listening to node agents too. */
  public static ExtenderRuntime start(
      ExtenderConfig config, ReportConfig reportConfig, Duration resyncPeriod, KubernetesClient client)
      throws Exception {
    return start(config, reportConfig, resyncPeriod, client, ReportListener.NONE, true);
  }

  /**
   * As {@link #start(ExtenderConfig, ReportConfig, Duration, KubernetesClient)}, telling {@code
   * reportListener} of every node agent report accepted (the embedded demo's in-process recorder of
   * GPU metrics).
   */
  public static ExtenderRuntime start(
      ExtenderConfig config, ReportConfig reportConfig, Duration resyncPeriod, KubernetesClient client,
      ReportListener reportListener) throws Exception {
    return start(config, reportConfig, resyncPeriod, client, reportListener, true);
  }

  /**
   * A standby: its cache filled and kept up to date from the informers, answering {@code /healthz}
   * and "not ready" to scheduling verbs until {@link #activate} (when it is elected leader).
   */
  public static ExtenderRuntime standby(
      ExtenderConfig config, ReportConfig reportConfig, Duration resyncPeriod, KubernetesClient client)
      throws Exception {
    return start(config, reportConfig, resyncPeriod, client, ReportListener.NONE, false);
  }

  private static ExtenderRuntime start(
      ExtenderConfig config, ReportConfig reportConfig, Duration resyncPeriod, KubernetesClient client,
      ReportListener reportListener, boolean activateNow) throws Exception {
    Clock clock = Clock.systemUTC();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AutoCloseable jvmMetrics = dev.tessera.extender.telemetry.JvmMetrics.bind(registry);
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(daemon("tessera-timer"));
    // Binds block on one API call each; kube-scheduler runs several binding cycles at once.
    ExecutorService binds = Executors.newFixedThreadPool(BIND_THREADS, daemon("tessera-bind"));
    ScheduledExecutorService eventThread = Executors.newSingleThreadScheduledExecutor(daemon("tessera-events"));
    PacedWriter eventWriter = new PacedWriter(eventThread, EVENTS_PER_SECOND, EVENTS_PER_SECOND);
    ScheduledExecutorService requeue = Executors.newSingleThreadScheduledExecutor(daemon("tessera-requeue"));

    ClusterCache cache = new ClusterCache(clock, config.assumeTtl(), new Placement(config.defaultStrategy()));
    Readiness readiness = new Readiness();
    PodEvents podEvents = new KubernetesPodEvents(client, clock, eventWriter);
    ClusterInformers informers = new ClusterInformers(
        client, cache, podEvents, new DoubleBookings(podEvents, registry), resyncPeriod, scheduler);
    // What the scheduler does to a workload's pod is told on the workload too.
    WorkloadEventMirror mirror = new WorkloadEventMirror(
        podEvents, informers.podIndex(), new WorkloadEvents(client, clock), eventWriter);
    PodEvents events = mirror;
    // And what the node agents record on it (GPU memory refused, loans taken back).
    AgentEventWatch agentEvents = new AgentEventWatch(client, clock, mirror);
    Binder binder = new Binder(client);
    PodIndex podIndex = informers.podIndex();
    PolicyState policy = new PolicyState(cache, podIndex);
    PreemptionClaims claims = new PreemptionClaims(clock);
    GangCoordinator gangs = new GangCoordinator(cache, podIndex, new GangPlanner(cache.placement()), claims, clock);
    Unschedulable unschedulable = new Unschedulable(clock);
    PodWaitMetrics podWaits =
        new PodWaitMetrics(registry, policy::snapshot, cache::snapshot, podIndex, unschedulable, cache::holdsUnconfirmed, clock);
    ApiEvictor evictor = new ApiEvictor(client);
    GangMonitor gangMonitor = new GangMonitor(cache, podIndex, policy::snapshot, evictor, events, clock, registry);
    VictimSelector victims = new VictimSelector(cache.placement());
    PodWaker waker = new PodWaker(client, clock, registry, WAKES_PER_SECOND);
    RefusedPods refused = new RefusedPods(
        cache, policy::snapshot, podIndex, waker::wake, gang -> gangs.notYetOffered(gang).isEmpty(), clock);
    PolicyInformers policyInformers = new PolicyInformers(
        client, catalog -> policy.policy(catalog.toPolicy()), clock, scheduler);
    ReclaimController reclaim = new ReclaimController(
        cache, podIndex, policy::snapshot, unschedulable, victims, evictor, events, registry);
    GangPreemptionController gangPreemption = new GangPreemptionController(cache, podIndex, policy::snapshot,
        new GangPreemption(new GangPlanner(cache.placement())), evictor, events, registry, claims);
    SchedulingExtender extender =
        new SchedulingExtender(
            cache,
            (namespace, name) ->
                // kube-scheduler may bind a pod the pod informer has not delivered yet: ask the API.
                informers
                    .pod(namespace, name)
                    .or(() -> Optional.ofNullable(client.pods().inNamespace(namespace).withName(name).get()))
                    .map(pod -> new SchedulingExtender.PendingPod(
                        PodRequests.keyOf(pod),
                        PodRequests.of(pod),
                        PodRequests.asksForGpuShare(pod),
                        PodRequests.traitsOf(pod),
                        PodIndex.createdOf(pod))),
            binder::bind,
            events,
            new SchedulingExtender.PolicyContext(
                policy::snapshot, policy::recompute, gangs, unschedulable, podIndex, victims, registry, informers.cpu(),
                pod -> informers.pod(pod.namespace(), pod.name()).map(CpuLedger::requestedMillis).orElse(0L),
                policyInformers::fetchPodGroup, refused, claims, podWaits::bound),
            readiness::ready,
            readiness::synced);
    ExtenderServer server = new ExtenderServer(config, extender, registry, binds);
    AgentReports agentReports = new AgentReports(cache, clock, reportConfig.staleAfter(), reportListener);
    NodeReportServer reportServer = new NodeReportServer(reportConfig, agentReports, registry);
    // Writes the workload policies' status; the workloads themselves are reconciled on JOSDK's threads.
    ExecutorService workloadPolicyWriter = Executors.newSingleThreadExecutor(daemon("tessera-workload-policies"));
    // Inferences scaling on requests: their replicas' metrics pages, read on a few threads of their own.
    ExecutorService scrapes = Executors.newFixedThreadPool(SCRAPE_THREADS, daemon("tessera-scrape"));
    RequestLoad requestLoad = new RequestLoad(
        new ReplicaScraper(ReplicaScraper.client(scrapes, SCRAPE_TIMEOUT), SCRAPE_TIMEOUT), clock);
    WorkloadController workloads = new WorkloadController(client, clock, workloadPolicyWriter, namespace -> {
      var project = policy.snapshot().projectOf(namespace);
      return project == null ? null : project.name();
    }, pod -> gpuBusy(cache, podIndex, agentReports, pod), requestLoad);
    ExtenderRuntime runtime = new ExtenderRuntime(
        scheduler, binds, eventThread, cache, informers, server, reportServer, policyInformers, policy, evictor,
        workloads, workloadPolicyWriter, scrapes, agentEvents, registry, requeue, waker, agentReports);
    runtime.jvmMetrics = jvmMetrics;
    runtime.ownerReader = new ApiOwnerReader(client);
    runtime.externalWorkloads = new ExternalWorkloads(client, clock, runtime.ownerReader);
    runtime.projectNamespaces = new ProjectNamespaces(client);
    try {
      server.start();
      informers.start(SYNC_TIMEOUT);
      policyInformers.start(SYNC_TIMEOUT);
    } catch (Exception e) {
      runtime.close();
      throw e;
    }
    readiness.markSynced();
    // The cache is warm from here; deciding, and acting on the cluster, waits for activate().
    runtime.activation = () -> {
      // The workload controller's operator (java-operator-sdk) runs only here, on the replica that
      // leads; close() stops it. Its timers and rechecks are its own (WorkloadController.RECHECK).
      workloads.start(SYNC_TIMEOUT);
      agentEvents.start(SYNC_TIMEOUT);
      // Other controllers' workloads: their ExternalWorkloads and PodGroups, and the namespace
      // label that sends a project's pods through the pod webhook.
      runtime.externalWorkloads.start(SYNC_TIMEOUT);
      runtime.projectNamespaces.start(SYNC_TIMEOUT);
      // Starts the scrapes and returns: the timer thread never waits on a replica.
      scheduler.scheduleWithFixedDelay(() -> quietly("read inference replicas' request metrics", requestLoad::scrapeAll),
          SCRAPE_PERIOD.toMillis(), SCRAPE_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      // Agents are heard only once the cache knows the nodes their reports name.
      reportServer.start();
      long period = reportConfig.interval().toMillis();
      scheduler.scheduleWithFixedDelay(
          () -> expireQuietly(agentReports), period, period, TimeUnit.MILLISECONDS);
      // Nodes, their GPUs and their agents come and go: the per-GPU gauges follow at this pace.
      GpuMemoryMetrics gpuMemory = new GpuMemoryMetrics(registry, cache::snapshot, agentReports);
      scheduler.scheduleWithFixedDelay(
          () -> quietly("update the per-GPU memory gauges", gpuMemory::update), 0, period, TimeUnit.MILLISECONDS);
      new AssumptionSweeper(cache, events, scheduler, SWEEP_PERIOD).start();
      ProjectMetrics projectMetrics = new ProjectMetrics(registry, policy::snapshot);
      ProjectStatusWriter projectStatus = new ProjectStatusWriter(client, clock, PROJECT_STATUS_PERIOD);
      // Jobs that call the API server (status patches, evictions) get a thread each: one slow call
      // delays its own job, never the recompute of the figures or the assumption sweep on the timer.
      ScheduledExecutorService statusWriter = runtime.apiThread("tessera-project-status");
      policy.onChange(snapshot -> {
        projectMetrics.update(snapshot);
        statusWriter.execute(() -> quietly("write project figures to their status", () -> projectStatus.update(snapshot)));
      });
      statusWriter.scheduleWithFixedDelay(
          () -> quietly("write project figures to their status", () -> projectStatus.update(policy.snapshot())),
          PROJECT_STATUS_PERIOD.toMillis(), PROJECT_STATUS_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      policy.start(scheduler, POLICY_PERIOD.toMillis());
      runtime.apiThread("tessera-gang-timeouts").scheduleWithFixedDelay(
          () -> quietly("check gang timeouts", gangMonitor::check),
          GANG_PERIOD.toMillis(), GANG_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      runtime.apiThread("tessera-reclaim").scheduleWithFixedDelay(
          () -> quietly("reclaim GPUs for projects under quota", reclaim::run),
          RECLAIM_PERIOD.toMillis(), RECLAIM_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      runtime.apiThread("tessera-gang-preemption").scheduleWithFixedDelay(
          () -> quietly("preempt for gangs of higher priority", gangPreemption::run),
          RECLAIM_PERIOD.toMillis(), RECLAIM_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      CacheMetrics.register(cache, registry);
      NodeMetrics nodeMetrics = new NodeMetrics(registry, cache::snapshot, agentReports::lastReportAt, clock);
      AllocationMetrics allocations =
          new AllocationMetrics(registry, cache::snapshot, policy::snapshot, podIndex::get, MAX_POD_SERIES);
      scheduler.scheduleWithFixedDelay(() -> quietly("update the node, pod and pending-pod series", () -> {
        nodeMetrics.update();
        allocations.update();
        podWaits.update();
      }), 0, METRICS_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      policy.recompute();
      // Nodes, pods and policy are all listed and the figures computed: decisions may start.
      readiness.markReady();
      List<dev.tessera.extender.model.PodKey> stranded = informers.failedPending(WellKnown.SCHEDULER_NAME);
      stranded.forEach(pod -> waker.wake(pod, "the extender is ready"));
      log.info("ready: scheduling calls are answered from now on; {} pending pod(s) kube-scheduler failed while"
          + " the extender was not ready are tried again", stranded.size());
      requeue.scheduleWithFixedDelay(() -> quietly("wake pods whose refusal went away", refused::check),
          REQUEUE_PERIOD.toMillis(), REQUEUE_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    };
    if (activateNow) {
      try {
        runtime.activate();
      } catch (Exception e) {
        runtime.close();
        throw e;
      }
    }
    return runtime;
  }

  /** What turns a warm standby into the replica that decides and acts. */
  @FunctionalInterface
  private interface Activation {
    void run() throws Exception;
  }

  /**
   * Starts deciding and acting: the workload controller, the periodic controllers (reclaim, gang
   * timeouts and preemption, project status) and the scheduling verbs, which until now answered
   * "not ready". Pods kube-scheduler failed meanwhile are tried again. Once only; later calls do
   * nothing.
   */
  public synchronized void activate() throws Exception {
    if (activation == null) {
      return;
    }
    Activation once = activation;
    activation = null;
    once.run();
  }

  private ScheduledExecutorService apiThread(String name) {
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(daemon(name));
    apiThreads.add(thread);
    return thread;
  }

  public int port() {
    return server.port();
  }

  /** The gRPC port node agents report to. */
  public int reportPort() {
    return reportServer.port();
  }

  public ClusterCache cache() {
    return cache;
  }

  /**
   * Where node agents' reports are accepted: the gRPC service hands them here, and the embedded
   * demo's simulated agents report here directly, through the same checks.
   */
  public AgentReports agentReports() {
    return agentReports;
  }

  /** The project figures brought up to date now (they are otherwise recomputed every 100 ms). */
  public PolicySnapshot policyNow() {
    return policyState.recompute();
  }

  /** The scheduling policy and project figures in force. */
  public PolicySnapshot policy() {
    return policyState.snapshot();
  }

  /** Another kind's workload of this name in the namespace, if any (see {@link WorkloadController#otherKindNamed}). */
  public java.util.Optional<dev.tessera.api.workloads.WorkloadKind> otherKindNamed(
      String namespace, String name, dev.tessera.api.workloads.WorkloadKind kind) {
    return workloads.otherKindNamed(namespace, name, kind);
  }

  /** The workload policies in force, for the admission webhook. */
  public dev.tessera.controller.workloads.policy.WorkloadPolicies workloadPolicies() {
    return workloads.policies();
  }

  /**
   * The admission webhook's reviewer, over the workload policies, projects and workloads this
   * runtime holds: what the extender serves over HTTPS, and what the embedded demo's API server
   * calls in process, so both judge a workload alike.
   */
  public dev.tessera.controller.admission.AdmissionReviewer admissionReviewer() {
    java.util.function.Function<String, String> projectOf = namespace -> {
      var project = policy().projectOf(namespace);
      return project == null ? null : project.name();
    };
    return new dev.tessera.controller.admission.AdmissionReviewer(this::workloadPolicies, projectOf,
        this::otherKindNamed, new PodMutation(projectOf, new TopOwners(ownerReader), new ObjectMapper()));
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    server.close();
    reportServer.close();
    policyInformers.close();
    workloads.close();
    externalWorkloads.close();
    projectNamespaces.close();
    workloadPolicyWriter.shutdownNow();
    scrapes.shutdownNow();
    agentEvents.close();
    informers.close();
    requeue.shutdownNow();
    waker.close();
    scheduler.shutdownNow();
    apiThreads.forEach(ExecutorService::shutdownNow);
    evictor.close();
    binds.shutdown();
    eventWriter.shutdown();
    try {
      binds.awaitTermination(5, TimeUnit.SECONDS);
      eventWriter.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      jvmMetrics.close();
    } catch (Exception e) {
      log.debug("could not stop the GC metrics' listener", e);
    }
    registry.close();
  }

  /** How busy the busiest GPU the pod holds is, by its node agent's latest report; empty if unknown. */
  private static java.util.OptionalInt gpuBusy(
      ClusterCache cache, PodIndex pods, AgentReports reports, dev.tessera.extender.model.PodKey pod) {
    PodIndex.IndexedPod indexed = pods.get(pod.uid());
    var node = indexed == null || indexed.node() == null ? null : cache.snapshot().node(indexed.node());
    var held = node == null ? null : node.allocations().get(pod.uid());
    if (held == null) {
      return java.util.OptionalInt.empty();
    }
    List<Integer> gpus = held.assignment().shares().stream().map(share -> share.index()).toList();
    return reports.busiest(node.name(), gpus);
  }

  private static void quietly(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later run.
      log.error("could not {}; trying again next period", what, e);
    }
  }

  private static void expireQuietly(AgentReports reports) {
    try {
      reports.expireStale();
    } catch (RuntimeException e) {
      // Thrown out of a scheduled task, it would cancel every later run.
      log.error("could not expire stale node agent reports; trying again next period", e);
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
