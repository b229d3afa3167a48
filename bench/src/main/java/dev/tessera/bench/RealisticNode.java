package dev.tessera.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.api.WellKnown;

/**
 * A v1.Node shaped like a real GPU node's (labels from GPU feature discovery, conditions, images,
 * node info), about 4 KB of JSON, for the full-node benchmark.
 */
final class RealisticNode {
  private RealisticNode() {}

  static ObjectNode json(ObjectMapper json, String name, int gpus) {
    ObjectNode node = json.createObjectNode();
    node.put("kind", "Node");
    node.put("apiVersion", "v1");
    ObjectNode metadata = node.putObject("metadata");
    metadata.put("name", name);
    metadata.put("uid",
        java.util.UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
    metadata.put("resourceVersion", "4815162342");
    metadata.put("creationTimestamp", "2026-10-01T08:00:00Z");
    ObjectNode labels = metadata.putObject("labels");
    labels.put("kubernetes.io/hostname", name);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", "amd64");
    labels.put("node.kubernetes.io/instance-type", "p4d.24xlarge");
    labels.put("topology.kubernetes.io/zone", "us-east-1a");
    labels.put(WellKnown.GFD_PRODUCT, "NVIDIA-A100-SXM4-80GB");
    labels.put(WellKnown.GFD_MEMORY_MIB, "81920");
    labels.put(WellKnown.GFD_COUNT, Integer.toString(gpus));
    labels.put("nvidia.com/cuda.driver.major", "550");
    labels.put("nvidia.com/gpu.family", "ampere");
    labels.put("nvidia.com/mig.capable", "true");
    ObjectNode annotations = metadata.putObject("annotations");
    annotations.put("node.alpha.kubernetes.io/ttl", "0");
    annotations.put("volumes.kubernetes.io/controller-managed-attach-detach", "true");
    ObjectNode spec = node.putObject("spec");
    spec.put("podCIDR", "10.244.3.0/24");
    spec.put("providerID", "aws:///us-east-1a/i-0" + Integer.toHexString(name.hashCode()));
    ObjectNode status = node.putObject("status");
    for (String field : new String[] {"capacity", "allocatable"}) {
      ObjectNode resources = status.putObject(field);
      resources.put("cpu", "96");
      resources.put("memory", "1176Gi");
      resources.put("ephemeral-storage", "7812500Mi");
      resources.put("pods", "250");
      resources.put(WellKnown.GPU_RESOURCE, Integer.toString(gpus));
      resources.put("hugepages-1Gi", "0");
      resources.put("hugepages-2Mi", "0");
    }
    var conditions = status.putArray("conditions");
    for (String type : new String[] {"MemoryPressure", "DiskPressure", "PIDPressure", "Ready"}) {
      ObjectNode condition = conditions.addObject();
      condition.put("type", type);
      condition.put("status", type.equals("Ready") ? "True" : "False");
      condition.put("lastHeartbeatTime", "2026-11-23T09:00:00Z");
      condition.put("lastTransitionTime", "2026-10-01T08:01:00Z");
      condition.put("reason", type.equals("Ready") ? "KubeletReady" : "KubeletHasSufficient" + type);
      condition.put("message", "kubelet is posting ready status");
    }
    var addresses = status.putArray("addresses");
    addresses.addObject().put("type", "InternalIP").put("address", "10.0.3." + (Math.abs(name.hashCode()) % 250));
    addresses.addObject().put("type", "Hostname").put("address", name);
    ObjectNode info = status.putObject("nodeInfo");
    info.put("machineID", "ec2" + Integer.toHexString(name.hashCode()));
    info.put("kernelVersion", "6.1.0-27-cloud-amd64");
    info.put("osImage", "Debian GNU/Linux 12 (bookworm)");
    info.put("containerRuntimeVersion", "containerd://1.7.22");
    info.put("kubeletVersion", "v1.31.0");
    info.put("operatingSystem", "linux");
    info.put("architecture", "amd64");
    var images = status.putArray("images");
    String[] imageNames = {
      "nvcr.io/nvidia/pytorch:24.05-py3", "nvcr.io/nvidia/k8s-device-plugin:v0.16.2",
      "nvcr.io/nvidia/gpu-feature-discovery:v0.16.2", "registry.k8s.io/kube-proxy:v1.31.0",
      "nvcr.io/nvidia/dcgm-exporter:3.3.7", "docker.io/calico/node:v3.28.1"
    };
    for (String image : imageNames) {
      ObjectNode entry = images.addObject();
      entry.putArray("names").add(image).add(image.replaceAll(":.*", "") + "@sha256:" + "0".repeat(64));
      entry.put("sizeBytes", 9_000_000_000L);
    }
    return node;
  }
}
