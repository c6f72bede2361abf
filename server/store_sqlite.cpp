// The SQLite Store: one database file in WAL mode with synchronous=FULL, so an acknowledged
// batch survives a power cut, and readers never wait for the writer.
//
// Connections come from a small pool (store_pool.h), each with its prepared statements cached.
// SQLite has one writer at a time per file anyway, so this process's writers take a mutex
// before BEGIN IMMEDIATE instead of spinning in SQLite's busy handler against each other; the
// busy timeout still covers another process writing to the same file.
#include "migrations.h"
#include "store.h"
#include "store_backends.h"
#include "store_pool.h"

#include <sqlite3.h>

#include <chrono>
#include <climits>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace credits::server::detail {

namespace {

constexpr int busy_timeout_ms = 5000;
constexpr int busy_retry_ms = 10;

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    const char* message = db ? sqlite3_errmsg(db) : "out of memory";
    throw StoreError("SQLite could not " + std::string(what) + ": " + message + " (code " + std::to_string(code) +
                     ")");
}

class Connection {
public:
    explicit Connection(const std::string& path) {
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close_v2(db_);
            throw StoreError("SQLite could not open " + path + ": " + message);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        // WAL is a property of the file (the first connection sets it); the others are per
        // connection and must be set on every one.
        std::string journal_mode;
        const auto read_mode = [](void* out, int columns, char** values, char**) {
            if (columns == 1 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
            return 0;
        };
        // Turning a new file to WAL takes an exclusive lock, and SQLite answers "busy" at once,
        // without waiting in its busy handler, when another connection is turning it at the same
        // moment (two servers starting on one new file): so wait here, as long as the busy timeout.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
        int code = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", read_mode, &journal_mode, nullptr);
        while ((code & 0xFF) == SQLITE_BUSY && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(busy_retry_ms));
            code = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", read_mode, &journal_mode, nullptr);
        }
        if (code != SQLITE_OK) {
            const std::string message = sqlite3_errmsg(db_);
            sqlite3_close_v2(db_);
            throw StoreError("SQLite could not open " + path + ": " + message);
        }
        if (journal_mode != "wal") {  // e.g. a file system without shared memory
            sqlite3_close_v2(db_);
            throw StoreError("SQLite would not use WAL mode for " + path + " (journal mode " + journal_mode + ")");
        }
        try {
            exec("PRAGMA synchronous=FULL");
            exec("PRAGMA foreign_keys=ON");
        } catch (const StoreError&) {
            sqlite3_close_v2(db_);
            throw;
        }
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() {
        for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
        sqlite3_close_v2(db_);
    }

    sqlite3* db() const { return db_; }

    void exec(const char* sql) {
        if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, std::string("run ") + sql);
    }

    // The prepared statement for `sql` (a string literal: its address is the cache key).
    sqlite3_stmt* statement(const char* sql) {
        auto found = statements_.find(sql);
        if (found != statements_.end()) return found->second;
        sqlite3_stmt* prepared = nullptr;
        if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &prepared, nullptr) != SQLITE_OK) {
            fail(db_, std::string("prepare ") + sql);
        }
        statements_.emplace(sql, prepared);
        return prepared;
    }

private:
    sqlite3* db_ = nullptr;
    std::map<const char*, sqlite3_stmt*> statements_;
};

// One use of a cached statement: binds, steps, and on leaving resets it and clears its
// bindings (which point into the caller's strings, bound without copying).
class Query {
public:
    Query(Connection& connection, const char* sql) : db_(connection.db()), statement_(connection.statement(sql)) {}
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    ~Query() {
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }

    Query& text(int index, std::string_view value) {
        if (value.size() > static_cast<std::size_t>(INT_MAX)) throw StoreError("a text is too long for SQLite");
        check(sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
        return *this;
    }
    Query& text_or_null(int index, std::string_view value) {
        if (value.empty()) {
            check(sqlite3_bind_null(statement_, index));
            return *this;
        }
        return text(index, value);
    }
    Query& integer(int index, std::int64_t value) {
        check(sqlite3_bind_int64(statement_, index, value));
        return *this;
    }

    // True while a row is there to read.
    bool step() {
        const int code = sqlite3_step(statement_);
        if (code == SQLITE_ROW) return true;
        if (code == SQLITE_DONE) return false;
        fail(db_, std::string("run ") + sqlite3_sql(statement_));
    }
    // Runs a statement that returns no rows; returns the rows it changed.
    int run() {
        if (step()) throw StoreError(std::string("SQLite returned rows from ") + sqlite3_sql(statement_));
        return sqlite3_changes(db_);
    }

    std::int64_t column_integer(int index) const { return sqlite3_column_int64(statement_, index); }
    std::string column_text(int index) const {
        const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
        const int length = sqlite3_column_bytes(statement_, index);
        return bytes ? std::string(bytes, static_cast<std::size_t>(length)) : std::string();
    }
    bool column_is_null(int index) const { return sqlite3_column_type(statement_, index) == SQLITE_NULL; }

private:
    void check(int code) {
        if (code != SQLITE_OK) fail(db_, "bind a parameter");
    }
    sqlite3* db_;
    sqlite3_stmt* statement_;
};

constexpr const char* insert_account_sql =
    "INSERT INTO accounts (account_id, header, last_seq) VALUES (?1, ?2, ?3) ON CONFLICT (account_id) DO NOTHING";
constexpr const char* move_cursor_sql =
    "UPDATE accounts SET last_seq = last_seq + ?1 WHERE account_id = ?2 AND last_seq = ?3";
constexpr const char* insert_project_sql = "INSERT INTO projects (account_id, project_id, body) VALUES (?1, ?2, ?3)";
constexpr const char* insert_event_sql =
    "INSERT INTO events (account_id, seq, event_id, at_ns, session_key, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* select_account_sql = "SELECT header, last_seq FROM accounts WHERE account_id = ?1";
constexpr const char* select_projects_sql =
    "SELECT project_id, body FROM projects WHERE account_id = ?1 ORDER BY project_id";
constexpr const char* events_after_sql =
    "SELECT seq, event_id, at_ns, body FROM events WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
constexpr const char* find_event_sql =
    "SELECT seq, event_id, at_ns, body FROM events WHERE account_id = ?1 AND event_id = ?2";
constexpr const char* session_seen_sql =
    "SELECT 1 FROM events WHERE account_id = ?1 AND session_key = ?2 AND at_ns < ?3 LIMIT 1";
constexpr const char* select_checkpoint_sql = "SELECT at_ns, cursor, document FROM checkpoints WHERE account_id = ?1";
constexpr const char* upsert_checkpoint_sql =
    "INSERT INTO checkpoints (account_id, at_ns, cursor, document) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (account_id) DO UPDATE SET at_ns = excluded.at_ns, cursor = excluded.cursor, "
    "document = excluded.document WHERE checkpoints.cursor <= excluded.cursor";
constexpr const char* insert_token_sql =
    "INSERT INTO api_tokens (token_hash, kind, account_id, created_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* select_token_sql = "SELECT kind, account_id FROM api_tokens WHERE token_hash = ?1";
constexpr const char* create_migrations_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)";
constexpr const char* max_version_sql = "SELECT coalesce(max(version), 0) FROM schema_migrations";
constexpr const char* insert_version_sql = "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)";

StoredEvent read_event(const Query& query) {
    return StoredEvent{query.column_integer(0), query.column_text(1), query.column_integer(2), query.column_text(3)};
}

class SqliteStore final : public Store {
public:
    explicit SqliteStore(std::string path)
        : path_(std::move(path)),
          pool_([this] { return std::make_unique<Connection>(path_); }, connections_max) {
        auto lease = pool_.acquire();  // opens the file now, so a bad path fails at open()
    }

    int migrate() override;
    void add_token(std::string_view token_hash_hex, const Principal& principal) override;
    std::optional<Principal> find_token(std::string_view token_hash_hex) override;
    std::optional<AccountRow> account(std::string_view account_id) override;
    std::vector<ProjectRow> projects(std::string_view account_id) override;
    std::vector<StoredEvent> events_after(std::string_view account_id, std::int64_t after_seq,
                                          std::int64_t limit) override;
    std::vector<StoredEvent> find_events(std::string_view account_id,
                                         const std::vector<std::string>& event_ids) override;
    bool session_seen_before(std::string_view account_id, std::string_view session_key,
                             std::int64_t before_ns) override;
    std::optional<std::int64_t> append(const Batch& batch) override;
    std::optional<CheckpointRow> checkpoint(std::string_view account_id) override;
    void save_checkpoint(std::string_view account_id, const CheckpointRow& checkpoint) override;

private:
    using Lease = ConnectionPool<Connection>::Lease;

    // Runs `body` in one transaction (`begin` is "BEGIN" or "BEGIN IMMEDIATE") and commits when
    // it returns true, rolls back when it returns false or throws. A connection left inside a
    // transaction by a failed ROLLBACK is discarded rather than lent again.
    template <class Body>
    bool in_transaction(const char* begin, Body&& body) {
        Lease lease = pool_.acquire();
        Connection& connection = *lease;
        connection.exec(begin);
        bool commit = false;
        try {
            commit = body(connection);
            if (commit) connection.exec("COMMIT");
        } catch (...) {
            roll_back(lease);
            throw;
        }
        if (!commit) roll_back(lease);
        return commit;
    }
    template <class Body>
    bool in_write_transaction(Body&& body) {
        std::lock_guard writer(write_mutex_);
        return in_transaction("BEGIN IMMEDIATE", std::forward<Body>(body));
    }
    static void roll_back(Lease& lease) {
        sqlite3_exec(lease->db(), "ROLLBACK", nullptr, nullptr, nullptr);
        if (sqlite3_get_autocommit(lease->db()) == 0) lease.discard();
    }

    std::string path_;
    ConnectionPool<Connection> pool_;
    std::mutex write_mutex_;
};

int SqliteStore::migrate() {
    int version = 0;
    for (const migrations::Migration& migration : migrations::sqlite) {
        in_write_transaction([&](Connection& connection) {
            connection.exec(create_migrations_sql);
            Query current(connection, max_version_sql);
            current.step();
            version = static_cast<int>(current.column_integer(0));
            if (version > static_cast<int>(migrations::sqlite.size())) {
                throw StoreError("the database's schema version " + std::to_string(version) +
                                 " is newer than this server's (" + std::to_string(migrations::sqlite.size()) +
                                 "): run the newer server");
            }
            if (version >= migration.version) return false;  // applied already, perhaps by another process
            const std::string sql(migration.sql);
            connection.exec(sql.c_str());
            const std::string now = utc_now_text();
            Query(connection, insert_version_sql).integer(1, migration.version).text(2, now).run();
            version = migration.version;
            return true;
        });
    }
    return version;
}

void SqliteStore::add_token(std::string_view token_hash_hex, const Principal& principal) {
    check_token(token_hash_hex, principal);
    const std::string now = utc_now_text();
    in_write_transaction([&](Connection& connection) {
        Query(connection, insert_token_sql)
            .text(1, token_hash_hex)
            .text(2, token_kind_name(principal.kind))
            .text_or_null(3, principal.account_id)
            .text(4, now)
            .run();
        return true;
    });
}

std::optional<Principal> SqliteStore::find_token(std::string_view token_hash_hex) {
    Lease lease = pool_.acquire();
    Query query(*lease, select_token_sql);
    query.text(1, token_hash_hex);
    if (!query.step()) return std::nullopt;
    const std::optional<TokenKind> kind = token_kind_from(query.column_text(0));
    if (!kind) throw StoreError("api_tokens holds a token of an unknown kind");
    return Principal{*kind, query.column_is_null(1) ? std::string() : query.column_text(1)};
}

std::optional<AccountRow> SqliteStore::account(std::string_view account_id) {
    Lease lease = pool_.acquire();
    Query query(*lease, select_account_sql);
    query.text(1, account_id);
    if (!query.step()) return std::nullopt;
    return AccountRow{std::string(account_id), query.column_text(0), query.column_integer(1)};
}

std::vector<ProjectRow> SqliteStore::projects(std::string_view account_id) {
    Lease lease = pool_.acquire();
    Query query(*lease, select_projects_sql);
    query.text(1, account_id);
    std::vector<ProjectRow> rows;
    while (query.step()) rows.push_back(ProjectRow{query.column_text(0), query.column_text(1)});
    return rows;
}

std::vector<StoredEvent> SqliteStore::events_after(std::string_view account_id, std::int64_t after_seq,
                                                   std::int64_t limit) {
    std::vector<StoredEvent> events;
    if (limit <= 0) return events;
    Lease lease = pool_.acquire();
    Query query(*lease, events_after_sql);
    query.text(1, account_id).integer(2, after_seq).integer(3, limit);
    while (query.step()) events.push_back(read_event(query));
    return events;
}

std::vector<StoredEvent> SqliteStore::find_events(std::string_view account_id,
                                                  const std::vector<std::string>& event_ids) {
    // One indexed probe per id, in one read transaction (one snapshot): in-process probes cost
    // microseconds, and no SQL text grows with the number of ids.
    std::vector<StoredEvent> events;
    const std::set<std::string_view> distinct(event_ids.begin(), event_ids.end());
    in_transaction("BEGIN", [&](Connection& connection) {
        for (std::string_view event_id : distinct) {
            Query query(connection, find_event_sql);
            query.text(1, account_id).text(2, event_id);
            if (query.step()) events.push_back(read_event(query));
        }
        return true;
    });
    return events;
}

bool SqliteStore::session_seen_before(std::string_view account_id, std::string_view session_key,
                                      std::int64_t before_ns) {
    if (session_key.empty()) return false;  // such events store no session key
    Lease lease = pool_.acquire();
    Query query(*lease, session_seen_sql);
    query.text(1, account_id).text(2, session_key).integer(3, before_ns);
    return query.step();
}

std::optional<std::int64_t> SqliteStore::append(const Batch& batch) {
    check_batch(batch);
    const auto count = static_cast<std::int64_t>(batch.new_events.size());
    const bool written = in_write_transaction([&](Connection& connection) {
        // A new account's row is inserted with its final cursor; any other moves its cursor
        // only from the one the batch was validated against, or the batch is stale.
        bool moved = false;
        if (batch.expected_last_seq == 0) {
            moved = Query(connection, insert_account_sql)
                        .text(1, batch.account_id)
                        .text(2, batch.header)
                        .integer(3, count)
                        .run() == 1;
        }
        if (!moved) {
            moved = Query(connection, move_cursor_sql)
                        .integer(1, count)
                        .text(2, batch.account_id)
                        .integer(3, batch.expected_last_seq)
                        .run() == 1;
        }
        if (!moved) return false;
        for (const ProjectRow& project : batch.new_projects) {
            Query(connection, insert_project_sql).text(1, batch.account_id).text(2, project.project_id)
                .text(3, project.body).run();
        }
        std::int64_t seq = batch.expected_last_seq;
        for (const NewEvent& event : batch.new_events) {
            Query(connection, insert_event_sql)
                .text(1, batch.account_id)
                .integer(2, ++seq)
                .text(3, event.event_id)
                .integer(4, event.at_ns)
                .text_or_null(5, event.session_key)
                .text(6, event.body)
                .run();
        }
        return true;
    });
    if (!written) return std::nullopt;
    return batch.expected_last_seq + count;
}

std::optional<CheckpointRow> SqliteStore::checkpoint(std::string_view account_id) {
    Lease lease = pool_.acquire();
    Query query(*lease, select_checkpoint_sql);
    query.text(1, account_id);
    if (!query.step()) return std::nullopt;
    return CheckpointRow{query.column_integer(0), query.column_integer(1), query.column_text(2)};
}

void SqliteStore::save_checkpoint(std::string_view account_id, const CheckpointRow& checkpoint) {
    check_checkpoint(account_id, checkpoint);
    in_write_transaction([&](Connection& connection) {
        // A checkpoint is written from stored events: one past the account's cursor is a bug.
        Query account(connection, select_account_sql);
        account.text(1, account_id);
        if (!account.step()) throw StoreError("no account " + std::string(account_id) + " to checkpoint");
        if (checkpoint.cursor > account.column_integer(1)) {
            throw StoreError("a checkpoint's cursor is past its account's newest event");
        }
        // A writer that read the account earlier may come with an older checkpoint than
        // one already saved: the upsert keeps the one made from more events.
        Query(connection, upsert_checkpoint_sql)
            .text(1, account_id)
            .integer(2, checkpoint.at_ns)
            .integer(3, checkpoint.cursor)
            .text(4, checkpoint.document)
            .run();
        return true;
    });
}

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path) {
    if (path.empty()) throw StoreError("sqlite: needs a file path, as in sqlite:data/credits.db");
    if (path == ":memory:" || path.starts_with("file:")) {
        throw StoreError("sqlite: needs a plain file path: the server's connections must share one database file");
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code error;
        std::filesystem::create_directories(parent, error);
        if (error) throw StoreError("could not create the folder " + parent.string() + ": " + error.message());
    }
    return std::make_unique<SqliteStore>(path);
}

}  // namespace credits::server::detail
