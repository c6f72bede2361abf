// The numbered schema migrations of the server's database, one list per SQL dialect.
// The tables are the same on both (docs/server.md, "Schema"); only the spelling differs.
//
// A migration is never edited once released: a change of schema is a new, higher number.
// migrate() applies, in order, each migration whose number schema_migrations does not hold,
// each in its own transaction together with its schema_migrations row, so a crash between two
// leaves a database at a whole version. schema_migrations itself is created (if absent) by
// migrate() before the first one, under the same lock.
#pragma once

#include <array>
#include <string_view>

namespace credits::server::migrations {

struct Migration {
    int version = 0;
    std::string_view sql;  // one or more statements
};

// SQLite: `events` is a WITHOUT ROWID table clustered on (account_id, seq), so an account's
// events -- read in seq order by every report -- sit together on disk, and an append writes at
// the end of its account's range. session_key is the canonical JSON array
// ["project_id","task_id","session_id"], NULL for events that name no session; the
// index leaves those out and ends in at_ns, so "seen before" is one index probe.
inline constexpr std::array<Migration, 1> sqlite{{
    {1, R"sql(
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY NOT NULL,
    header     TEXT NOT NULL,
    last_seq   INTEGER NOT NULL CHECK (last_seq >= 0)
);
CREATE TABLE projects (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    project_id TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (account_id, project_id)
) WITHOUT ROWID;
CREATE TABLE events (
    account_id  TEXT NOT NULL REFERENCES accounts (account_id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    event_id    TEXT NOT NULL,
    at_ns       INTEGER NOT NULL,
    session_key TEXT,
    body        TEXT NOT NULL,
    PRIMARY KEY (account_id, seq),
    UNIQUE (account_id, event_id)
) WITHOUT ROWID;
CREATE INDEX events_by_session ON events (account_id, session_key, at_ns)
    WHERE session_key IS NOT NULL;
CREATE TABLE checkpoints (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (account_id),
    at_ns      INTEGER NOT NULL,
    cursor     INTEGER NOT NULL CHECK (cursor >= 0),
    document   TEXT NOT NULL
);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('service', 'account')),
    account_id TEXT,
    created_at TEXT NOT NULL,
    CHECK ((kind = 'service') = (account_id IS NULL))
);
)sql"},
}};

// PostgreSQL: the same tables. An account token may be made before its account's first
// ingest, so api_tokens.account_id references nothing.
inline constexpr std::array<Migration, 1> postgres{{
    {1, R"sql(
CREATE TABLE accounts (
    account_id text PRIMARY KEY,
    header     text NOT NULL,
    last_seq   bigint NOT NULL CHECK (last_seq >= 0)
);
CREATE TABLE projects (
    account_id text NOT NULL REFERENCES accounts (account_id),
    project_id text NOT NULL,
    body       text NOT NULL,
    PRIMARY KEY (account_id, project_id)
);
CREATE TABLE events (
    account_id  text NOT NULL REFERENCES accounts (account_id),
    seq         bigint NOT NULL CHECK (seq >= 1),
    event_id    text NOT NULL,
    at_ns       bigint NOT NULL,
    session_key text,
    body        text NOT NULL,
    PRIMARY KEY (account_id, seq),
    UNIQUE (account_id, event_id)
);
CREATE INDEX events_by_session ON events (account_id, session_key, at_ns)
    WHERE session_key IS NOT NULL;
CREATE TABLE checkpoints (
    account_id text PRIMARY KEY REFERENCES accounts (account_id),
    at_ns      bigint NOT NULL,
    cursor     bigint NOT NULL CHECK (cursor >= 0),
    document   text NOT NULL
);
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('service', 'account')),
    account_id text,
    created_at text NOT NULL,
    CHECK ((kind = 'service') = (account_id IS NULL))
);
)sql"},
}};

}  // namespace credits::server::migrations
