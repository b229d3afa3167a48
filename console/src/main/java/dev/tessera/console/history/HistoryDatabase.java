package dev.tessera.console.history;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's PostgreSQL database: a connection pool, with the history schema migrated to the
 * version this build expects before anyone uses it. Closing it closes the pool.
 *
 * <pre>{@code
 * try (HistoryDatabase db = HistoryDatabase.open(HistoryDatabase.Settings.of(url, user, password))) {
 *   WorkloadHistory history = new PostgresHistory(db.dataSource(), db.location());
 *   ...
 * }
 * }</pre>
 */
public final class HistoryDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HistoryDatabase.class);

  /** Where the schema's migrations are on the class path ({@code V1__history.sql}, ...). */
  public static final String MIGRATIONS = "classpath:db/console";

  private final HikariDataSource pool;
  private final String location;

  private HistoryDatabase(HikariDataSource pool, String location) {
    this.pool = pool;
    this.location = location;
  }

  /**
   * Opens the pool and migrates the schema.
   *
   * @throws HistoryUnavailableException when the database cannot be reached or the migration fails;
   *     the pool is closed again
   */
  public static HistoryDatabase open(Settings settings) {
    Objects.requireNonNull(settings, "settings");
    String location = location(settings.jdbcUrl());
    HikariDataSource pool = new HikariDataSource(poolConfig(settings));
    try {
      MigrateResult result =
          Flyway.configure()
              .dataSource(pool)
              .locations(MIGRATIONS)
              // Never from the console: a wrong flag must not be able to empty the history.
              .cleanDisabled(true)
              .load()
              .migrate();
      log.info(
          "history database {} at schema version {} ({} migrations applied)",
          location,
          result.targetSchemaVersion == null ? result.initialSchemaVersion : result.targetSchemaVersion,
          result.migrationsExecuted);
      warnWithoutTextIndex(pool, location);
      return new HistoryDatabase(pool, location);
    } catch (FlywayException e) {
      pool.close();
      throw new HistoryUnavailableException(
          "could not migrate the history database " + location + ": " + e.getMessage() + "; " + hint(e), e);
    }
  }

  private static String hint(FlywayException e) {
    if (e instanceof FlywayValidateException) {
      return "the database's schema history (flyway_schema_history) does not match this build's migrations in "
          + MIGRATIONS
          + ": a migration was changed after it was applied";
    }
    return "check that PostgreSQL is running and reachable there and that the user may create tables";
  }

  /** The migration leaves the text index out where pg_trgm cannot be installed; say what that costs. */
  private static void warnWithoutTextIndex(DataSource pool, String location) {
    try (Connection connection = pool.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'history_events_text'")) {
      if (!rows.next()) {
        log.warn(
            "the history database {} has no pg_trgm index for text search: a search walks all of a workload's"
                + " entries. To index it, install pg_trgm (CREATE EXTENSION pg_trgm, as a user who may create in"
                + " the database) and CREATE INDEX history_events_text ON history_events USING gin (reason"
                + " gin_trgm_ops, message gin_trgm_ops)",
            location);
      }
    } catch (SQLException e) {
      log.warn("could not check the history database {} for its text index: {}", location, e.getMessage());
    }
  }

  private static HikariConfig poolConfig(Settings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("tessera-history");
    config.setJdbcUrl(settings.jdbcUrl());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.maxConnections());
    config.setConnectionTimeout(settings.connectTimeout().toMillis());
    // The pool opens even when PostgreSQL is down; the migration that follows is what fails, with
    // a message that says what to check, rather than Hikari's own.
    config.setInitializationFailTimeout(-1);
    // One multi-row INSERT per batch instead of one statement per entry.
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    config.addDataSourceProperty("ApplicationName", "tessera-console");
    return config;
  }

  /** The pool; do not close it, close this. */
  public DataSource dataSource() {
    return pool;
  }

  /**
   * The database for messages: its JDBC URL without the query, which may hold a password.
   */
  public String location() {
    return location;
  }

  static String location(String jdbcUrl) {
    int query = jdbcUrl.indexOf('?');
    return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
  }

  @Override
  public void close() {
    pool.close();
  }

  /**
   * How to reach the database.
   *
   * @param jdbcUrl e.g. {@code jdbc:postgresql://postgres:5432/tessera}
   * @param user the user, or null when the URL names it
   * @param password the password, or null when the URL holds it or none is needed
   * @param maxConnections the most connections the pool opens
   * @param connectTimeout how long a caller waits for a connection before the store reports itself
   *     unavailable; an API request waits this long at most when PostgreSQL is down
   */
  public record Settings(String jdbcUrl, String user, String password, int maxConnections, Duration connectTimeout) {
    /** Enough for the API's reads, the history writer and pruning together. */
    public static final int DEFAULT_MAX_CONNECTIONS = 8;

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** Hikari refuses less. */
    private static final Duration MIN_CONNECT_TIMEOUT = Duration.ofMillis(250);

    public Settings {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "the history database URL must start with jdbc:postgresql:, not " + location(jdbcUrl));
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1, not " + maxConnections);
      }
      if (connectTimeout.compareTo(MIN_CONNECT_TIMEOUT) < 0) {
        throw new IllegalArgumentException("connectTimeout must be at least 250ms, not " + connectTimeout);
      }
    }

    /** The default pool size and connect timeout. */
    public static Settings of(String jdbcUrl, String user, String password) {
      return new Settings(jdbcUrl, user, password, DEFAULT_MAX_CONNECTIONS, DEFAULT_CONNECT_TIMEOUT);
    }

    /** The same database with another pool size. */
    public Settings withMaxConnections(int maxConnections) {
      return new Settings(jdbcUrl, user, password, maxConnections, connectTimeout);
    }

    /** The same database with another connect timeout. */
    public Settings withConnectTimeout(Duration connectTimeout) {
      return new Settings(jdbcUrl, user, password, maxConnections, connectTimeout);
    }

    /** Leaves the password out, so a logged settings object leaks nothing. */
    @Override
    public String toString() {
      return "Settings[jdbcUrl="
          + location(jdbcUrl)
          + ", user="
          + user
          + ", maxConnections="
          + maxConnections
          + ", connectTimeout="
          + connectTimeout
          + "]";
    }
  }
}
