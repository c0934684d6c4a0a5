-- ferry's durable state (PostgreSQL). Timestamps are epoch milliseconds (BIGINT); JSON is TEXT.
-- Keep the same file names as migrations/sqlite: one schema, two dialects.

-- Bundles as last loaded, so history can show names.
CREATE TABLE bundles (
    id         TEXT   NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    path       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Trigger cursor after a bundle's last complete poll (written only with that poll's items).
CREATE TABLE cursors (
    bundle_id  TEXT   NOT NULL PRIMARY KEY,
    cursor     TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One poll of one bundle.
CREATE TABLE runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bundle_id   TEXT   NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    status      TEXT   NOT NULL,
    items_seen  BIGINT NOT NULL DEFAULT 0,
    items_new   BIGINT NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX runs_by_bundle ON runs (bundle_id, id);

-- Every item ever queued: the seen-set (UNIQUE key) and the work queue in one table.
CREATE TABLE items (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bundle_id   TEXT   NOT NULL,
    item_key    TEXT   NOT NULL,
    run_id      BIGINT NOT NULL,
    payload     TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0, -- times claimed
    due_at      BIGINT,
    claim_token TEXT,
    claimed_by  TEXT,
    lease_until BIGINT,
    error       TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (bundle_id, item_key)
);
CREATE INDEX items_claimable ON items (status, due_at);
CREATE INDEX items_by_run ON items (run_id);

-- What each step of an item's chain did; seq keeps chain order of first record.
CREATE TABLE step_results (
    item_id    BIGINT NOT NULL REFERENCES items (id),
    step_id    TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    status     TEXT   NOT NULL,
    attempts   BIGINT NOT NULL,
    output     TEXT,
    error      TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (item_id, step_id)
);

-- Named leases with a fencing version (poll ownership of a bundle's trigger).
CREATE TABLE leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    version    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
