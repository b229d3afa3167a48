-- Workloads' history beyond Kubernetes' one-hour event lifetime, and deleted workloads' last rows.

CREATE TABLE history_events (
  -- Breaks ties between entries of the same time, so a keyset cursor (time, id) never skips one.
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- What makes an entry unique: a re-listed Kubernetes event is recorded once.
  key          text        NOT NULL UNIQUE,
  workload_uid text        NOT NULL,
  namespace    text        NOT NULL,
  kind         text        NOT NULL,
  name         text        NOT NULL,
  time         timestamptz NOT NULL,
  category     text        NOT NULL,
  type         text        NOT NULL,
  reason       text        NOT NULL,
  message      text        NOT NULL,
  pod          text
);

-- One workload's entries, newest first, a page at a time: the index is read backwards from the
-- cursor, and the time bounds narrow the same range.
CREATE INDEX history_events_workload_time ON history_events (workload_uid, time, id);

-- The category and type filters: a filter that matches few of a busy workload's entries finds
-- them here instead of walking all of its entries (the planner picks whichever reads less).
CREATE INDEX history_events_workload_filters ON history_events (workload_uid, category, type, time, id);

-- Pruning deletes by age across all workloads. BRIN: entries arrive roughly in time order, so
-- block ranges summarise them in a few pages; and unlike a btree on time it cannot serve ORDER BY
-- time, which would tempt the planner to walk every workload's entries for a busy one's page.
CREATE INDEX history_events_time ON history_events USING brin (time);

-- The text filter (ILIKE '%...%' on reason or message), when pg_trgm can be had: without it, a
-- text that matches few entries walks all of the workload's. pg_trgm ships with PostgreSQL's
-- contrib and is a trusted extension, so a user who may create objects in the database may
-- install it; where it cannot be installed the schema is complete without this index, and
-- HistoryDatabase says so at start.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm is not available (%); history text search will not be indexed', SQLERRM;
END
$$;

DO $$
DECLARE
  trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NOT NULL THEN
    EXECUTE format(
      'CREATE INDEX history_events_text ON history_events USING gin (reason %1$I.gin_trgm_ops, message %1$I.gin_trgm_ops)',
      trgm_schema);
  END IF;
END
$$;

CREATE TABLE deleted_workloads (
  uid        text        PRIMARY KEY,
  namespace  text        NOT NULL,
  kind       text        NOT NULL,
  name       text        NOT NULL,
  deleted_at timestamptz NOT NULL,
  -- The row as the API served it, kept verbatim: the store never reads inside it, and text keeps
  -- the API's own key order where jsonb would rewrite it.
  row        text        NOT NULL
);

-- The Deleted view (newest first, since a time) and pruning both go by deletion time.
CREATE INDEX deleted_workloads_deleted_at ON deleted_workloads (deleted_at);
