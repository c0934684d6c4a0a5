-- Connection state beside the queue (engine/src/store/connections.rs).
--
-- oauth_tokens: the newest tokens of each OAuth2 token chain (one account and OAuth2
-- client), written whenever a connection refreshes them, so they survive restarts and
-- every worker uses the newest. `seeds` lists, space-separated, fingerprints of the
-- settings tokens the chain has adopted: one-way hashes, never the tokens themselves.
-- Tokens are stored as issued (not encrypted); they are redacted from logs and history.
CREATE TABLE oauth_tokens (
    identity      TEXT    NOT NULL PRIMARY KEY,
    access_token  TEXT    NOT NULL,
    refresh_token TEXT,
    expires_at    INTEGER,
    seeds         TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- broken_connections: connections whose credentials were refused (a refused token
-- refresh, a 401 that refreshing did not cure), per bundle and connection name, with
-- when that was first and last seen and the redacted reason. Their items wait instead
-- of failing; the row goes away when the connection works again.
CREATE TABLE broken_connections (
    bundle_id  TEXT    NOT NULL,
    connection TEXT    NOT NULL,
    since      INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    PRIMARY KEY (bundle_id, connection)
);
