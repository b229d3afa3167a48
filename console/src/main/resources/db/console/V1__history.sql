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

-- Pruning deletes by age across all workloads.
CREATE INDEX history_events_time ON history_events (time);

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
