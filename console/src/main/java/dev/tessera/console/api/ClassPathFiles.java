package dev.tessera.console.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Files the console serves from its jar: its own pages and the WebJars' libraries. */
final class ClassPathFiles {
  private ClassPathFiles() {}

  /** The file's bytes; a file the build left out fails loudly, at start. */
  static byte[] read(String path) {
    try (InputStream in = ClassPathFiles.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(path + " is missing from the jar: the build left it out");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + " from the jar", e);
    }
  }

  /** The version of a library's jar on the class path, from the pom.properties Maven put in it. */
  static String version(String groupId, String artifactId) {
    String path = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
    Properties properties = new Properties();
    try (InputStream in = ClassPathFiles.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(groupId + ":" + artifactId + " is not on the class path");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
    return properties.getProperty("version");
  }
}
