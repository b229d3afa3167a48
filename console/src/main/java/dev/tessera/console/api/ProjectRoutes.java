package dev.tessera.console.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.api.policy.WorkloadPolicySpec;
import dev.tessera.api.workloads.WorkloadKind;
import dev.tessera.api.workloads.WorkloadSpec;
import dev.tessera.console.access.Authorizer;
import dev.tessera.console.access.Caller;
import dev.tessera.console.access.Permission;
import dev.tessera.console.catalog.ProjectDirectory;
import dev.tessera.console.catalog.ProjectEntry;
import dev.tessera.console.http.Reply;
import dev.tessera.console.http.Router;
import dev.tessera.controller.workloads.policy.EffectivePolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the UI's header and its "New workload" form ask before anything is submitted: who is signed
 * in, the projects they may work in (with the node pools a workload there can name and the kinds
 * they may submit), and the workload policy a kind is admitted under in a namespace, computed by
 * the controller's own merge so the form's defaults and limits are admission's.
 */
final class ProjectRoutes {
  /**
   * Not {@code /namespaces/{namespace}/{kind}/policy}: that is the path of a workload named
   * "policy", which a training may well be called. No workload kind is called effectivepolicies.
   */
  static final String POLICY = "/api/v1/namespaces/{namespace}/effectivepolicies/{kind}";

  /** The kinds users submit: those Tessera runs. */
  private static final List<WorkloadKind> SUBMITTED =
      java.util.Arrays.stream(WorkloadKind.values()).filter(WorkloadKind::managedByTessera).toList();

  private final ProjectDirectory directory;
  private final Authorizer authorizer;
  private final ObjectMapper json;

  ProjectRoutes(ProjectDirectory directory, Authorizer authorizer, ObjectMapper json) {
    this.directory = directory;
    this.authorizer = authorizer;
    this.json = json;
  }

  void register(Router router) {
    router.add("GET", "/api/v1/session", (request, vars, caller) -> Reply.json(200, json.writeValueAsBytes(
        new Session("Session", Api.VERSION, caller.user(), caller.groups()))));
    router.add("GET", "/api/v1/projects", (request, vars, caller) -> projects(caller));
    router.add("GET", POLICY, (request, vars, caller) -> policy(vars, caller));
  }

  /** Who the caller is, as the API server authenticated their token. */
  record Session(String kind, String apiVersion, String user, List<String> groups) {}

  /**
   * A project the caller may see.
   *
   * @param namespace where the form submits to: of the project's namespaces the caller sees, the
   *     one named like the project, else the first in its spec
   * @param namespaces every namespace of the project the caller sees, {@code namespace} first
   * @param department null when the project is in none
   * @param canSubmit per workload kind users submit (by its plural), whether the caller may create
   *     it in {@code namespace}; external workloads are never submitted, so they are not listed
   */
  record ProjectItem(String name, String namespace, List<String> namespaces, String department,
      List<String> nodePools, Map<String, Boolean> canSubmit) {}

  record ProjectList(String kind, String apiVersion, List<ProjectItem> items) {}

  /**
   * The policy of a kind in a namespace.
   *
   * @param project the namespace's project, or null: only the global policies apply
   * @param policies the policies merged, most specific first; empty when none applies
   * @param defaults what the controller fills into a workload that leaves it out
   * @param constraints the rules a workload must keep to be admitted
   * @param sources the policy each constraint came from, by its field's name
   */
  record PolicyView(String kind, String apiVersion, String namespace, String project, String workloadKind,
      List<String> policies, WorkloadSpec defaults, WorkloadPolicySpec.Constraints constraints,
      Map<String, String> sources) {}

  private Reply projects(Caller caller) throws Exception {
    Visibility visibility = new Visibility(authorizer, caller);
    List<ProjectItem> items = new ArrayList<>();
    for (ProjectEntry project : directory.now().projects()) {
      List<String> seen = new ArrayList<>();
      for (String namespace : project.namespaces()) {
        if (visibility.seesAny(namespace)) {
          // The CLI's rule too: a project's name stands for the namespace named like it.
          seen.add(namespace.equals(project.name()) ? 0 : seen.size(), namespace);
        }
      }
      if (seen.isEmpty()) {
        continue;
      }
      String namespace = seen.get(0);
      Map<String, Boolean> canSubmit = new LinkedHashMap<>();
      for (WorkloadKind kind : SUBMITTED) {
        canSubmit.put(Plurals.of(kind), Visibility.check(authorizer, caller,
            Permission.tessera("create", Plurals.of(kind), namespace)).allowed());
      }
      items.add(new ProjectItem(project.name(), namespace, seen, project.department(), project.nodePools(),
          canSubmit));
    }
    return Reply.json(200, json.writeValueAsBytes(new ProjectList("ProjectList", Api.VERSION, items)));
  }

  private Reply policy(Map<String, String> vars, Caller caller) throws Exception {
    WorkloadKind kind = Plurals.kind(vars.get("kind"));
    String namespace = vars.get("namespace");
    if (!kind.managedByTessera()) {
      throw Unsupported.noPolicy(kind);
    }
    // What a policy holds is for those who may submit under it, as the submission itself is.
    Visibility.require(authorizer, caller, Permission.tessera("create", Plurals.of(kind), namespace));
    ProjectDirectory.Snapshot now = directory.now();
    EffectivePolicy policy = now.policy(kind, namespace);
    return Reply.json(200, json.writeValueAsBytes(new PolicyView("EffectivePolicy", Api.VERSION, namespace,
        policy.project(), kind.kind(), policy.policies(), policy.defaults(), policy.constraints(),
        new TreeMap<>(policy.sources()))));
  }
}
