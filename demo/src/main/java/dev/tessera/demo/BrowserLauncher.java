package dev.tessera.demo;

import java.awt.Desktop;
import java.awt.GraphicsEnvironment;
import java.io.IOException;
import java.net.URI;

/** Opens a page in the user's browser, where the machine has a desktop to open it on. */
final class BrowserLauncher {
  private BrowserLauncher() {}

  /** True when the page was handed to the desktop's browser; false on a server, a container or CI. */
  static boolean open(URI page) {
    if (GraphicsEnvironment.isHeadless() || !Desktop.isDesktopSupported()
        || !Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
      return false;
    }
    try {
      Desktop.getDesktop().browse(page);
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }
}
