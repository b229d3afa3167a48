package dev.tessera.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.tessera.proto.agent.v1.ContainerUsage;
import dev.tessera.proto.agent.v1.Gpu;
import dev.tessera.proto.agent.v1.NodeReport;
import dev.tessera.proto.agent.v1.NodeReportsGrpc;
import dev.tessera.proto.agent.v1.ReportAck;
import dev.tessera.proto.deviceplugin.v1beta1.AllocateRequest;
import dev.tessera.proto.deviceplugin.v1beta1.ContainerAllocateResponse;
import dev.tessera.proto.deviceplugin.v1beta1.DevicePluginGrpc;
import dev.tessera.proto.deviceplugin.v1beta1.RegisterRequest;
import dev.tessera.proto.deviceplugin.v1beta1.RegistrationGrpc;
import io.grpc.MethodDescriptor.MethodType;
import org.junit.jupiter.api.Test;

/** The generated contracts: agent reports survive the wire; the kubelet API has kubelet's numbers. */
class ContractsTest {

  @Test
  void nodeReportRoundTripsThroughBytes() throws Exception {
    NodeReport report =
        NodeReport.newBuilder()
            .setNodeName("gpu-node-1")
            .setAgentVersion("0.1.0")
            .setSentAt(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(42))
            .addGpus(
                Gpu.newBuilder()
                    .setIndex(0)
                    .setUuid("GPU-fef8089b-4820-abfc-e83e-94318197576e")
                    .setModel("NVIDIA H100 80GB HBM3")
                    .setMemoryTotalBytes(85_520_809_984L)
                    .setMemoryUsedBytes(1L << 33)
                    .setUtilizationPercent(73)
                    .setTemperatureCelsius(61)
                    .setPowerMilliwatts(350_000)
                    .setSmClockMhz(1980)
                    .setHealthy(false)
                    .setHealthReason("XID 79")
                    .setMigEnabled(true))
            .addContainers(
                ContainerUsage.newBuilder()
                    .setNamespace("team-a")
                    .setPod("train-0")
                    .setPodUid("6f1c1f9e-0000-4000-8000-000000000001")
                    .setContainer("main")
                    .setGpuUuid("GPU-fef8089b-4820-abfc-e83e-94318197576e")
                    .setMemoryUsedBytes(4L << 30)
                    .setMemoryLimitBytes(8L << 30))
            .build();

    byte[] bytes = report.toByteArray();
    NodeReport back = NodeReport.parseFrom(bytes);

    assertEquals(report, back);
    assertEquals("XID 79", back.getGpus(0).getHealthReason());
    assertEquals(85_520_809_984L, back.getGpus(0).getMemoryTotalBytes());
    assertEquals(8L << 30, back.getContainers(0).getMemoryLimitBytes());
    assertEquals(42, back.getSentAt().getNanos());

    ReportAck ack =
        ReportAck.newBuilder()
            .setAccepted(true)
            .setReportInterval(Duration.newBuilder().setSeconds(5))
            .setStaleAfter(Duration.newBuilder().setSeconds(30))
            .build();
    assertEquals(ack, ReportAck.parseFrom(ack.toByteString()));
  }

  @Test
  void reportIsOneBidirectionalStream() {
    var method = NodeReportsGrpc.getReportMethod();
    assertEquals("tessera.agent.v1.NodeReports/Report", method.getFullMethodName());
    assertEquals(MethodType.BIDI_STREAMING, method.getType());
  }

  @Test
  void devicePluginServicesUseKubeletPaths() {
    // kubelet dials these exact names; the proto package must stay "v1beta1".
    assertEquals("v1beta1.Registration/Register", RegistrationGrpc.getRegisterMethod().getFullMethodName());
    assertEquals("v1beta1.DevicePlugin/Allocate", DevicePluginGrpc.getAllocateMethod().getFullMethodName());
    assertEquals(
        "v1beta1.DevicePlugin/GetPreferredAllocation",
        DevicePluginGrpc.getGetPreferredAllocationMethod().getFullMethodName());
    assertEquals(MethodType.SERVER_STREAMING, DevicePluginGrpc.getListAndWatchMethod().getType());
  }

  @Test
  void devicePluginFieldNumbersMatchKubelet() {
    assertField(AllocateRequest.getDescriptor(), "container_requests", 1, FieldDescriptor.Type.MESSAGE, true);

    Descriptor car = ContainerAllocateResponse.getDescriptor();
    assertField(car, "envs", 1, FieldDescriptor.Type.MESSAGE, true);
    assertTrue(car.findFieldByName("envs").isMapField(), "envs is a map<string,string>");
    assertField(car, "mounts", 2, FieldDescriptor.Type.MESSAGE, true);
    assertField(car, "devices", 3, FieldDescriptor.Type.MESSAGE, true);
    assertField(car, "annotations", 4, FieldDescriptor.Type.MESSAGE, true);
    assertTrue(car.findFieldByName("annotations").isMapField(), "annotations is a map<string,string>");
    assertField(car, "cdi_devices", 5, FieldDescriptor.Type.MESSAGE, true);

    Descriptor reg = RegisterRequest.getDescriptor();
    assertField(reg, "version", 1, FieldDescriptor.Type.STRING, false);
    assertField(reg, "endpoint", 2, FieldDescriptor.Type.STRING, false);
    assertField(reg, "resource_name", 3, FieldDescriptor.Type.STRING, false);
    assertField(reg, "options", 4, FieldDescriptor.Type.MESSAGE, false);
  }

  private static void assertField(
      Descriptor message, String name, int number, FieldDescriptor.Type type, boolean repeated) {
    FieldDescriptor f = message.findFieldByName(name);
    assertNotNull(f, message.getFullName() + " has no field " + name);
    assertEquals(number, f.getNumber(), message.getFullName() + "." + name + " field number");
    assertEquals(type, f.getType(), message.getFullName() + "." + name + " type");
    assertEquals(repeated, f.isRepeated(), message.getFullName() + "." + name + " repeated");
  }
}
