-- Rate limits shared by several workers: one row per target account, holding the account's
-- GCRA "theoretical arrival time" (microseconds since the Unix epoch, by the database's own
-- clock, the one clock every worker shares). A worker reserves a request's slot by moving
-- `tat` forward in one atomic statement and waits until its slot comes.
-- `account_key` is the SHA-256 (hex) of the connection's account key, so no URL or
-- credential-derived text is stored.
CREATE TABLE rate_limits (
    account_key TEXT   NOT NULL PRIMARY KEY,
    tat         BIGINT NOT NULL
);
