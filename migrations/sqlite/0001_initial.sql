-- ferry's durable state (SQLite). Timestamps are epoch milliseconds (INTEGER); JSON is TEXT.
-- Keep the same file names as migrations/postgres: one schema, two dialects.

-- Bundles as last loaded, so history can show names.
CREATE TABLE bundles (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Trigger cursor after a bundle's last complete poll (written only with that poll's items).
CREATE TABLE cursors (
    bundle_id  TEXT    NOT NULL PRIMARY KEY,
    cursor     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One poll of one bundle. AUTOINCREMENT: run ids are never reused, even after pruning.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bundle_id   TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT    NOT NULL,
    items_seen  INTEGER NOT NULL DEFAULT 0,
    items_new   INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX runs_by_bundle ON runs (bundle_id, id);

-- Every item ever queued: the seen-set (UNIQUE key) and the work queue in one table.
CREATE TABLE items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bundle_id   TEXT    NOT NULL,
    item_key    TEXT    NOT NULL,
    run_id      INTEGER NOT NULL,
    payload     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0, -- times claimed
    due_at      INTEGER,
    claim_token TEXT,
    claimed_by  TEXT,
    lease_until INTEGER,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (bundle_id, item_key)
);
CREATE INDEX items_claimable ON items (status, due_at);
CREATE INDEX items_by_run ON items (run_id);

-- What each step of an item's chain did; seq keeps chain order of first record.
CREATE TABLE step_results (
    item_id    INTEGER NOT NULL REFERENCES items (id),
    step_id    TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    attempts   INTEGER NOT NULL,
    output     TEXT,
    error      TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, step_id)
);

-- Named leases with a fencing version (poll ownership of a bundle's trigger).
CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
