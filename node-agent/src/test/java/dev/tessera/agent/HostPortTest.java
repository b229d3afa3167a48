package dev.tessera.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void parsesNamesAddressesAndBracketedIpv6() {
    assertEquals(new HostPort("tessera-extender.tessera-system.svc", 8889), HostPort.parse("tessera-extender.tessera-system.svc:8889"));
    assertEquals(new HostPort("10.0.0.7", 1), HostPort.parse(" 10.0.0.7:1 "));
    HostPort v6 = HostPort.parse("[::1]:8889");
    assertEquals("::1", v6.host());
    assertEquals("[::1]:8889", v6.toString());
  }

  @Test
  void refusesWhatIsNotHostColonPort() {
    for (String bad : new String[] {"extender", ":8889", "extender:", "extender:http", "extender:0", "extender:70000", "::1:8889"}) {
      assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
    }
  }
}
