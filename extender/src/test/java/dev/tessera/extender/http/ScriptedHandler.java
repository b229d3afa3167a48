package dev.tessera.extender.http;

import dev.tessera.extender.scheduling.RequestedNodes;
import dev.tessera.extender.verbs.ExtenderHandler;
import dev.tessera.extender.verbs.FilterDecision;
import dev.tessera.extender.verbs.WirePod;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A stand-in for the decision core whose answers each test declares; it records what the server
 * handed it. The real core is tested in the scheduling package.
 */
final class ScriptedHandler implements ExtenderHandler {
  volatile BiFunction<WirePod, List<String>, FilterDecision> filter =
      (pod, names) -> FilterDecision.allPass(names.size());
  volatile BiFunction<WirePod, List<String>, int[]> prioritize =
      (pod, names) -> new int[names.size()];
  volatile Function<BindRequest, String> bind = request -> "";
  volatile BiFunction<WirePod, Map<String, List<String>>, Map<String, List<String>>> preempt =
      (pod, victims) -> victims;
  final AtomicBoolean ready = new AtomicBoolean(true);

  final List<WirePod> pods = new CopyOnWriteArrayList<>();
  final List<List<String>> nodeNames = new CopyOnWriteArrayList<>();
  final List<BindRequest> binds = new CopyOnWriteArrayList<>();
  final List<Thread> bindThreads = new CopyOnWriteArrayList<>();
  final List<Map<String, List<String>>> victims = new CopyOnWriteArrayList<>();

  @Override
  public FilterDecision filter(WirePod pod, RequestedNodes nodes) {
    List<String> names = nodes.names();
    pods.add(pod);
    nodeNames.add(names);
    return filter.apply(pod, names);
  }

  @Override
  public int[] prioritize(WirePod pod, RequestedNodes nodes) {
    List<String> names = nodes.names();
    pods.add(pod);
    nodeNames.add(names);
    return prioritize.apply(pod, names);
  }

  @Override
  public String bind(BindRequest request) {
    binds.add(request);
    bindThreads.add(Thread.currentThread());
    return bind.apply(request);
  }

  @Override
  public Map<String, List<String>> preempt(WirePod pod, Map<String, List<String>> offered) {
    pods.add(pod);
    victims.add(offered);
    return preempt.apply(pod, offered);
  }

  @Override
  public boolean ready() {
    return ready.get();
  }
}
