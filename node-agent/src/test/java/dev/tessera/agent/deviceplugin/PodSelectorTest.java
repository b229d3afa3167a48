package dev.tessera.agent.deviceplugin;

import static dev.tessera.agent.deviceplugin.Pods.NODE;
import static dev.tessera.agent.deviceplugin.Pods.pod;
import static dev.tessera.agent.deviceplugin.Pods.sharedGpu;
import static dev.tessera.agent.deviceplugin.Pods.wholeGpus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.agent.gpu.GpuInfo;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PodSelectorTest {
  private final PodSelector selector = new PodSelector(NODE, "nvidia.com/gpu");
  private final List<GpuInfo> gpus = FakeGpus.of(4).inventory();

  @Test
  void oldestBindWinsByPodScheduledTimeThenCreationTime() {
    Pod boundLater = pod("b").node(NODE).gpus(1).assignment(wholeGpus(NODE, 0))
        .createdAt("2025-01-01T00:00:00Z").scheduledAt("2025-01-01T00:05:00Z").obj();
    Pod boundFirst = pod("a").node(NODE).gpus(1).assignment(wholeGpus(NODE, 1))
        .createdAt("2025-01-01T00:01:00Z").scheduledAt("2025-01-01T00:02:00Z").obj();
    Pod sameBindCreatedLater = pod("c").node(NODE).gpus(1).assignment(wholeGpus(NODE, 2))
        .createdAt("2025-01-01T00:01:30Z").scheduledAt("2025-01-01T00:02:00Z").obj();

    assertEquals("a", chosen(List.of(boundLater, sameBindCreatedLater, boundFirst), 1));
    assertEquals("c", chosen(List.of(boundLater, sameBindCreatedLater), 1));
  }

  @Test
  void aPodWithoutPodScheduledIsOrderedByItsCreation() {
    Pod old = pod("old").node(NODE).gpus(1).assignment(wholeGpus(NODE, 0)).createdAt("2025-01-01T00:00:00Z").obj();
    Pod young = pod("young").node(NODE).gpus(1).assignment(wholeGpus(NODE, 1))
        .createdAt("2025-01-01T00:01:00Z").scheduledAt("2025-01-01T00:01:00Z").obj();

    assertEquals("old", chosen(List.of(young, old), 1));
  }

  @Test
  void prefersAPodHoldingAsManyGpusAsKubeletAsksFor() {
    Pod twoGpusOlder = pod("two").node(NODE).gpus(2).assignment(wholeGpus(NODE, 0, 1)).scheduledAt("2025-01-01T00:00:00Z").obj();
    Pod oneGpuNewer = pod("one").node(NODE).gpus(1).assignment(wholeGpus(NODE, 2)).scheduledAt("2025-01-01T00:01:00Z").obj();

    Selection.Found forOne = assertInstanceOf(Selection.Found.class, select(List.of(twoGpusOlder, oneGpuNewer), 1, Set.of()));
    assertEquals("one", forOne.claim().pod().name());
    assertTrue(forOne.countMatches());

    Selection.Found forThree = assertInstanceOf(Selection.Found.class, select(List.of(twoGpusOlder, oneGpuNewer), 3, Set.of()));
    assertEquals("two", forThree.claim().pod().name(), "no size matches: the oldest bind");
    assertFalse(forThree.countMatches());
  }

  @Test
  void skipsAllocatedClaimedRunningDeletedAndOtherNodesPods() {
    Pod marked = pod("marked").node(NODE).gpus(1).assignment(wholeGpus(NODE, 0))
        .annotation(PodAnnotations.GPU_ALLOCATED, "2025-01-01T00:00:00Z").obj();
    Pod claimed = pod("claimed").node(NODE).gpus(1).uid("uid-claimed").assignment(wholeGpus(NODE, 1)).obj();
    Pod running = pod("running").node(NODE).gpus(1).phase("Running").assignment(wholeGpus(NODE, 2)).obj();
    Pod deleted = pod("deleted").node(NODE).gpus(1).assignment(wholeGpus(NODE, 3)).obj();
    deleted.getMetadata().setDeletionTimestamp("2025-01-01T00:00:00Z");
    Pod elsewhere = pod("elsewhere").node("gpu-node-2").gpus(1).assignment(wholeGpus("gpu-node-2", 0)).obj();

    Selection.NotFound none = assertInstanceOf(Selection.NotFound.class,
        select(List.of(marked, claimed, running, deleted, elsewhere), 1, Set.of("uid-claimed")));

    assertTrue(none.explanation().contains("2 pending pod(s) here already have theirs"), none.explanation());
  }

  @Test
  void explainsPodsThatCameClose() {
    Pod noAssignment = pod("plain").node(NODE).gpus(1).schedulerName("default-scheduler").obj();
    Pod cpuOnly = pod("web").node(NODE).schedulerName("default-scheduler").obj();
    Pod broken = pod("broken").node(NODE).gpus(1).assignment("{\"version\":7}").obj();
    Pod wrongNode = pod("moved").node(NODE).gpus(1).assignment(wholeGpus("gpu-node-9", 0)).obj();
    Pod missingGpu = pod("ghost").node(NODE).gpus(1).assignment(wholeGpus(NODE, 9)).obj();

    Selection.NotFound none = assertInstanceOf(Selection.NotFound.class,
        select(List.of(noAssignment, cpuOnly, broken, wrongNode, missingGpu), 1, Set.of()));

    String text = none.explanation();
    assertTrue(text.contains("team-a/plain asks for nvidia.com/gpu but has no tessera.dev/gpu-assignment (its"
        + " schedulerName is default-scheduler; it must be tessera-scheduler)"), text);
    assertFalse(text.contains("team-a/web"), "pods without GPUs are not suspects: " + text);
    assertTrue(text.contains("team-a/broken has an unusable tessera.dev/gpu-assignment: version 7 is not supported"), text);
    assertTrue(text.contains("team-a/moved is bound to gpu-node-1 but its assignment is for node gpu-node-9"), text);
    assertTrue(text.contains("team-a/ghost: its assignment names GPU GPU-0009, which this node does not have"), text);
  }

  @Test
  void mapsIndicesToUuidsAndWorksOutAMissingMemorySize() {
    Pod shared = pod("shared").node(NODE).gpus(1).assignment(sharedGpu(NODE, 2, 0, 0.25)).obj();

    PodClaim claim = assertInstanceOf(Selection.Found.class, select(List.of(shared), 1, Set.of())).claim();

    assertFalse(claim.exclusive());
    assertEquals(
        List.of(new VisibleGpu(2, FakeGpus.uuid(2), 20 * FakeGpus.GIB, 20 * FakeGpus.GIB, 25, 0)), claim.gpus(),
        "an assignment without a compute share (an older extender's): the fraction's");
  }

  @Test
  void theComputeSharePlacementCountedWins() {
    String counted = "{\"version\":1,\"node\":\"" + NODE + "\",\"exclusive\":false,\"gpus\":["
        + "{\"index\":1,\"memoryMiB\":10240,\"memoryBytes\":10737418240,\"fraction\":0.125,\"computeShare\":40,"
        + "\"swapMiB\":2048},"
        + "{\"index\":2,\"memoryMiB\":10240,\"memoryBytes\":10737418240,\"fraction\":0.125,\"computeShare\":0}]}";
    Pod shared = pod("shared").node(NODE).gpus(1).assignment(counted).annotation("tessera.dev/compute-share", "70").obj();

    PodClaim claim = assertInstanceOf(Selection.Found.class, select(List.of(shared), 1, Set.of())).claim();

    assertEquals(40, claim.gpus().get(0).computeSharePercent(), "the assignment's, not the annotation's");
    assertEquals(2048L << 20, claim.gpus().get(0).swapBytes());
    assertFalse(claim.gpus().get(1).paced(), "0: the pod opted out of pacing there");
    assertEquals(List.of(), claim.annotationProblems());
  }

  @Test
  void withoutACountedShareTheAnnotationDecides() {
    Pod thirty = pod("thirty").node(NODE).gpus(1).assignment(sharedGpu(NODE, 1, 10240, 0.125))
        .annotation("tessera.dev/compute-share", "30").obj();
    Pod unpaced = pod("unpaced").node(NODE).gpus(1).assignment(sharedGpu(NODE, 2, 10240, 0.125))
        .annotation("tessera.dev/compute-share", "none").obj();

    assertEquals(30, only(thirty).gpus().get(0).computeSharePercent());
    assertFalse(only(unpaced).gpus().get(0).paced());
  }

  @Test
  void aBadComputeShareIsIgnoredAndSaysSo() {
    Pod typo = pod("typo").node(NODE).gpus(1).assignment(sharedGpu(NODE, 1, 10240, 0.125))
        .annotation("tessera.dev/compute-share", "0.3").obj();

    PodClaim claim = only(typo);

    assertEquals(12, claim.gpus().get(0).computeSharePercent(), "the fraction's share");
    assertEquals(
        List.of("tessera.dev/compute-share must be a whole percent of the GPU's compute from 1 to 100 (\"30\") or"
            + " \"none\" to run unpaced, was '0.3'; it is ignored, and the pod is guaranteed 12% of its GPU's compute"
            + " while others want it"),
        claim.annotationProblems());
  }

  @Test
  void wholeGpusAreNeverPaced() {
    Pod whole = pod("whole").node(NODE).gpus(1).assignment(wholeGpus(NODE, 0))
        .annotation("tessera.dev/compute-share", "bogus").obj();

    PodClaim claim = only(whole);

    assertFalse(claim.gpus().get(0).paced());
    assertEquals(List.of(), claim.annotationProblems(), "nothing of a whole GPU is shared: nothing to complain of");
  }

  private PodClaim only(Pod pod) {
    return assertInstanceOf(Selection.Found.class, select(List.of(pod), 1, Set.of())).claim();
  }

  @Test
  void listsSharedGpusInPciOrderWhateverTheAssignmentsOrder() {
    String twoShares = "{\"version\":1,\"node\":\"" + NODE + "\",\"exclusive\":false,\"gpus\":["
        + "{\"index\":3,\"memoryMiB\":10240,\"memoryBytes\":10737418240,\"fraction\":0.5},"
        + "{\"index\":1,\"memoryMiB\":10240,\"memoryBytes\":10737418240,\"fraction\":0.5}]}";
    Pod shared = pod("shared").node(NODE).gpus(1).assignment(twoShares).obj();

    PodClaim claim = assertInstanceOf(Selection.Found.class, select(List.of(shared), 1, Set.of())).claim();

    assertEquals(List.of(1, 3), claim.gpus().stream().map(VisibleGpu::index).toList(),
        "CUDA ordinal i, limit i and usage file i must all be the same GPU");
  }

  @Test
  void keepsTheAssignedMemoryLimit() {
    Pod shared = pod("shared").node(NODE).gpus(1).assignment(sharedGpu(NODE, 3, 10240, 0.5)).obj();

    PodClaim claim = assertInstanceOf(Selection.Found.class, select(List.of(shared), 1, Set.of())).claim();

    assertEquals(10 * FakeGpus.GIB, claim.gpus().get(0).memoryLimitBytes());
  }

  @Test
  void eachPluginAdmitsOnlyThePodsAskingForItsResource() {
    Pod whole = pod("whole").node(NODE).gpus(1).assignment(wholeGpus(NODE, 0)).createdAt("2025-01-01T00:00:00Z").obj();
    Pod fractional = pod("fractional").node(NODE).share().assignment(sharedGpu(NODE, 1, 40960, 0.5)).obj();
    PodSelector shared = new PodSelector(NODE, DevicePluginConfig.SHARED_RESOURCE_NAME);

    assertEquals("whole", chosen(List.of(fractional, whole), 1));
    PodClaim claim =
        assertInstanceOf(Selection.Found.class, shared.select(List.of(Pods.info(whole), Pods.info(fractional)), 1, Set.of(), FakeGpus.of(4).inventory()))
            .claim();
    assertEquals("fractional", claim.pod().name());
    assertFalse(claim.exclusive());
  }

  private String chosen(List<Pod> pods, int requested) {
    return assertInstanceOf(Selection.Found.class, select(pods, requested, Set.of())).claim().pod().name();
  }

  private Selection select(List<Pod> pods, int requested, Set<String> claimed) {
    return selector.select(pods.stream().map(Pods::info).toList(), requested, claimed, gpus);
  }
}
