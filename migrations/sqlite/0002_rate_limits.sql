-- Rate limits shared by several workers (see migrations/postgres/0002_rate_limits.sql).
-- An SQLite store serves one engine, whose in-process limiter already keeps every account
-- under its limit, so nothing reads or writes this table on SQLite; it exists so both
-- dialects keep one schema.
CREATE TABLE rate_limits (
    account_key TEXT    NOT NULL PRIMARY KEY,
    tat         INTEGER NOT NULL
);
