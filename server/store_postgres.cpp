// The PostgreSQL Store (libpq): the same schema and behaviour as the SQLite one.
//
// Connections come from a bounded pool (store_pool.h); each prepares its statements on first use.
// Every value travels as a parameter, never inside SQL text. A batch's events go in with one
// INSERT ... SELECT FROM unnest(arrays) -- one round trip for the whole batch -- and the arrays
// are sent in PostgreSQL's binary array format, so no event body is escaped or parsed on the way.
// A connection found broken is dropped; a statement that failed on a pooled connection that had
// died while idle (the database restarted) is tried once more on a fresh one.
#include "migrations.h"
#include "store.h"
#include "store_backends.h"
#include "store_pool.h"

#include <libpq-fe.h>

#include <charconv>
#include <climits>
#include <deque>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace credits::server::detail {

namespace {

// Type OIDs (pg_type.dat: stable across PostgreSQL versions).
constexpr Oid text_oid = 25;
constexpr Oid bigint_oid = 20;
constexpr Oid text_array_oid = 1009;
constexpr Oid bigint_array_oid = 1016;

struct Sql {
    const char* name;  // the prepared statement's name on every connection
    const char* text;
    std::vector<Oid> types;
};

const Sql insert_account{"insert_account",
                         "INSERT INTO accounts (account_id, header, last_seq) VALUES ($1, $2, $3) "
                         "ON CONFLICT (account_id) DO NOTHING",
                         {text_oid, text_oid, bigint_oid}};
const Sql move_cursor{"move_cursor",
                      "UPDATE accounts SET last_seq = last_seq + $1 WHERE account_id = $2 AND last_seq = $3",
                      {bigint_oid, text_oid, bigint_oid}};
const Sql insert_projects{"insert_projects",
                          "INSERT INTO projects (account_id, project_id, body) "
                          "SELECT $1, u.project_id, u.body FROM unnest($2::text[], $3::text[]) AS u(project_id, body)",
                          {text_oid, text_array_oid, text_array_oid}};
const Sql insert_events{"insert_events",
                        "INSERT INTO events (account_id, seq, event_id, at_ns, session_key, body) "
                        "SELECT $1, $2 + u.ordinal, u.event_id, u.at_ns, u.session_key, u.body "
                        "FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY "
                        "AS u(event_id, at_ns, session_key, body, ordinal)",
                        {text_oid, bigint_oid, text_array_oid, bigint_array_oid, text_array_oid, text_array_oid}};
const Sql select_account{"select_account", "SELECT header, last_seq FROM accounts WHERE account_id = $1", {text_oid}};
const Sql select_projects{"select_projects",
                          "SELECT project_id, body FROM projects WHERE account_id = $1 ORDER BY project_id",
                          {text_oid}};
const Sql events_after_sql{"events_after",
                           "SELECT seq, event_id, at_ns, body FROM events WHERE account_id = $1 AND seq > $2 "
                           "ORDER BY seq LIMIT $3",
                           {text_oid, bigint_oid, bigint_oid}};
const Sql find_events_sql{"find_events",
                          "SELECT seq, event_id, at_ns, body FROM events WHERE account_id = $1 "
                          "AND event_id = ANY ($2::text[])",
                          {text_oid, text_array_oid}};
const Sql session_seen{"session_seen",
                       "SELECT 1 FROM events WHERE account_id = $1 AND session_key = $2 AND at_ns < $3 LIMIT 1",
                       {text_oid, text_oid, bigint_oid}};
const Sql select_checkpoint{"select_checkpoint",
                            "SELECT at_ns, cursor, document FROM checkpoints WHERE account_id = $1",
                            {text_oid}};
// Writes only for an account whose cursor has reached the checkpoint's: a checkpoint is made
// from stored events, so anything else is a caller's bug (told apart afterwards for the message).
// Never replaces a checkpoint made from more events (a writer that read the account earlier).
const Sql upsert_checkpoint{"upsert_checkpoint",
                            "INSERT INTO checkpoints (account_id, at_ns, cursor, document) "
                            "SELECT account_id, $2, $3, $4 FROM accounts WHERE account_id = $1 AND last_seq >= $3 "
                            "ON CONFLICT (account_id) DO UPDATE SET at_ns = excluded.at_ns, "
                            "cursor = excluded.cursor, document = excluded.document "
                            "WHERE checkpoints.cursor <= excluded.cursor",
                            {text_oid, bigint_oid, bigint_oid, text_oid}};
const Sql insert_token{"insert_token",
                       "INSERT INTO api_tokens (token_hash, kind, account_id, created_at) VALUES ($1, $2, $3, $4)",
                       {text_oid, text_oid, text_oid, text_oid}};
const Sql select_token{"select_token", "SELECT kind, account_id FROM api_tokens WHERE token_hash = $1", {text_oid}};
const Sql insert_version{"insert_version", "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                         {bigint_oid, text_oid}};

// Held for the rest of a migration's transaction: two servers starting at once apply each
// migration once, one after the other. The key is arbitrary but fixed ("credits" in ASCII).
constexpr const char* migration_lock_sql = "SELECT pg_advisory_xact_lock(27992246338315379)";
constexpr const char* create_migrations_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)";
constexpr const char* max_version_sql = "SELECT coalesce(max(version), 0) FROM schema_migrations";

void append_be32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}
void append_be64(std::string& out, std::int64_t value) {
    const auto bits = static_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((bits >> shift) & 0xFF);
}
std::uint32_t length32(std::size_t bytes) {
    if (bytes > static_cast<std::size_t>(INT_MAX)) throw StoreError("a value is too long for PostgreSQL");
    return static_cast<std::uint32_t>(bytes);
}

// A one-dimensional array in PostgreSQL's binary format (array_send): ndim, has-nulls flag,
// element type, then the dimension's length and lower bound, then each element's length (-1 for
// NULL) and bytes.
class BinaryArray {
public:
    BinaryArray(Oid element_type, std::size_t count, bool may_hold_nulls) {
        append_be32(bytes_, 1);
        append_be32(bytes_, may_hold_nulls ? 1 : 0);
        append_be32(bytes_, element_type);
        append_be32(bytes_, length32(count));
        append_be32(bytes_, 1);
    }
    void text(std::string_view value) {
        append_be32(bytes_, length32(value.size()));
        bytes_.append(value);
    }
    void null() { append_be32(bytes_, 0xFFFFFFFFu); }
    void bigint(std::int64_t value) {
        append_be32(bytes_, 8);
        append_be64(bytes_, value);
    }
    std::string take() { return std::move(bytes_); }

private:
    std::string bytes_;
};

// A statement's parameters, all in binary format: text as its bytes (no terminator needed),
// bigint as 8 big-endian bytes, arrays as BinaryArray makes them.
class Params {
public:
    Params& text(std::string_view value) { return add(value.empty() ? "" : value.data(), value.size()); }
    Params& text_or_null(std::string_view value) {
        if (!value.empty()) return text(value);
        values_.push_back(nullptr);
        lengths_.push_back(0);
        formats_.push_back(1);
        return *this;
    }
    Params& bigint(std::int64_t value) {
        std::string bytes;
        append_be64(bytes, value);
        return owned(std::move(bytes));
    }
    Params& owned(std::string bytes) {
        owned_.push_back(std::move(bytes));
        return add(owned_.back().data(), owned_.back().size());
    }
    int count() const { return static_cast<int>(values_.size()); }
    const char* const* values() const { return values_.data(); }
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

private:
    Params& add(const char* data, std::size_t length) {
        values_.push_back(data);
        lengths_.push_back(static_cast<int>(length32(length)));
        formats_.push_back(1);
        return *this;
    }
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::deque<std::string> owned_;  // a deque never moves what it holds, so values_ stay valid
};

class Result {
public:
    explicit Result(PGresult* result) : result_(result) {}
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
    ~Result() { PQclear(result_); }

    int rows() const { return PQntuples(result_); }
    bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) == 1; }
    std::string text(int row, int column) const {
        return std::string(PQgetvalue(result_, row, column),
                           static_cast<std::size_t>(PQgetlength(result_, row, column)));
    }
    std::int64_t integer(int row, int column) const {
        const char* begin = PQgetvalue(result_, row, column);
        const char* end = begin + PQgetlength(result_, row, column);
        std::int64_t value = 0;
        const auto [stop, error] = std::from_chars(begin, end, value);
        if (error != std::errc() || stop != end) throw StoreError("PostgreSQL answered a number that does not read");
        return value;
    }
    std::int64_t rows_changed() const {
        const std::string_view changed = PQcmdTuples(result_);
        std::int64_t value = 0;
        std::from_chars(changed.data(), changed.data() + changed.size(), value);
        return value;
    }

private:
    PGresult* result_;
};

StoredEvent read_event(const Result& result, int row) {
    return StoredEvent{result.integer(row, 0), result.text(row, 1), result.integer(row, 2), result.text(row, 3)};
}

void ignore_notice(void*, const char*) {}  // "relation already exists, skipping" is not news

class Connection {
public:
    explicit Connection(const std::string& uri) {
        // Keywords before "dbname" are defaults the URI's own parameters override.
        const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* values[] = {"10", "credits-server", uri.c_str(), nullptr};
        connection_ = PQconnectdbParams(keywords, values, 1);
        if (connection_ == nullptr) throw StoreError("PostgreSQL: out of memory while connecting");
        if (PQstatus(connection_) != CONNECTION_OK) {
            std::string message = PQerrorMessage(connection_);
            while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
            PQfinish(connection_);
            throw StoreError("could not connect to PostgreSQL: " + message);
        }
        PQsetNoticeProcessor(connection_, ignore_notice, nullptr);
        if (PQsetClientEncoding(connection_, "UTF8") != 0) {
            PQfinish(connection_);
            throw StoreError("PostgreSQL would not speak UTF-8 to this client");
        }
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { PQfinish(connection_); }

    bool healthy() const {
        return PQstatus(connection_) == CONNECTION_OK && PQtransactionStatus(connection_) == PQTRANS_IDLE;
    }

    // A statement without parameters (BEGIN, COMMIT, migrations' DDL).
    Result exec(const char* sql) { return checked(PQexec(connection_, sql), sql); }

    Result run(const Sql& sql, const Params& params) {
        if (!prepared_.contains(sql.name)) {
            checked(PQprepare(connection_, sql.name, sql.text, static_cast<int>(sql.types.size()), sql.types.data()),
                    sql.name);
            prepared_.insert(sql.name);
        }
        return checked(PQexecPrepared(connection_, sql.name, params.count(), params.values(), params.lengths(),
                                      params.formats(), 0),
                       sql.name);
    }

private:
    Result checked(PGresult* raw, const char* what) {
        Result result(raw);
        const ExecStatusType status = PQresultStatus(raw);
        if (raw != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
        std::string message = raw ? PQresultErrorMessage(raw) : PQerrorMessage(connection_);
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
        throw StoreError("PostgreSQL could not run " + std::string(what) + ": " + message +
                         (state ? " (SQLSTATE " + std::string(state) + ")" : std::string()));
    }

    PGconn* connection_ = nullptr;
    std::set<const char*> prepared_;
};

class PostgresStore final : public Store {
public:
    explicit PostgresStore(std::string uri)
        : uri_(std::move(uri)), pool_([this] { return std::make_unique<Connection>(uri_); }, connections_max) {
        auto lease = pool_.acquire();  // connects now, so an unreachable database fails at open()
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
    // Runs `body` on a pooled connection. A connection left broken, or inside a transaction, is
    // closed; when it had served before (so it may have died idle: a restarted database), the
    // body runs again on the next one -- at most once per pooled connection, each failure closing
    // one, so a pool of dead connections empties and the last attempt is on a fresh one. That is
    // safe for append too: a batch whose earlier attempt did commit finds its cursor moved and
    // answers stale, as for any other writer.
    template <class Body>
    auto with_connection(Body&& body) {
        for (int attempt = 0;; ++attempt) {
            auto lease = pool_.acquire();
            try {
                return body(*lease);
            } catch (const StoreError&) {
                if (lease->healthy()) throw;
                const bool may_have_died_idle = lease.reused();
                lease.discard();
                if (!may_have_died_idle || attempt >= connections_max) throw;
            } catch (...) {  // out of memory, say: still never lend a connection left mid-transaction
                if (!lease->healthy()) lease.discard();
                throw;
            }
        }
    }

    // `body` inside BEGIN ... COMMIT (or ROLLBACK when it returns false or throws).
    template <class Body>
    static bool in_transaction(Connection& connection, Body&& body) {
        connection.exec("BEGIN");
        bool commit = false;
        try {
            commit = body(connection);
        } catch (...) {
            try {
                connection.exec("ROLLBACK");
            } catch (const StoreError&) {  // the connection is unhealthy now and will be closed
            }
            throw;
        }
        connection.exec(commit ? "COMMIT" : "ROLLBACK");
        return commit;
    }

    std::string uri_;
    ConnectionPool<Connection> pool_;
};

int PostgresStore::migrate() {
    int version = 0;
    for (const migrations::Migration& migration : migrations::postgres) {
        with_connection([&](Connection& connection) {
            return in_transaction(connection, [&](Connection& c) {
                c.exec(migration_lock_sql);
                c.exec(create_migrations_sql);
                version = static_cast<int>(c.exec(max_version_sql).integer(0, 0));
                if (version > static_cast<int>(migrations::postgres.size())) {
                    throw StoreError("the database's schema version " + std::to_string(version) +
                                     " is newer than this server's (" +
                                     std::to_string(migrations::postgres.size()) + "): run the newer server");
                }
                if (version >= migration.version) return false;  // applied already, perhaps by another server
                const std::string sql(migration.sql);
                c.exec(sql.c_str());
                const std::string now = utc_now_text();
                c.run(insert_version, Params().bigint(migration.version).text(now));
                version = migration.version;
                return true;
            });
        });
    }
    return version;
}

void PostgresStore::add_token(std::string_view token_hash_hex, const Principal& principal) {
    check_token(token_hash_hex, principal);
    const std::string now = utc_now_text();
    with_connection([&](Connection& connection) {
        connection.run(insert_token, Params()
                                         .text(token_hash_hex)
                                         .text(token_kind_name(principal.kind))
                                         .text_or_null(principal.account_id)
                                         .text(now));
    });
}

std::optional<Principal> PostgresStore::find_token(std::string_view token_hash_hex) {
    return with_connection([&](Connection& connection) -> std::optional<Principal> {
        const Result result = connection.run(select_token, Params().text(token_hash_hex));
        if (result.rows() == 0) return std::nullopt;
        const std::optional<TokenKind> kind = token_kind_from(result.text(0, 0));
        if (!kind) throw StoreError("api_tokens holds a token of an unknown kind");
        return Principal{*kind, result.is_null(0, 1) ? std::string() : result.text(0, 1)};
    });
}

std::optional<AccountRow> PostgresStore::account(std::string_view account_id) {
    return with_connection([&](Connection& connection) -> std::optional<AccountRow> {
        const Result result = connection.run(select_account, Params().text(account_id));
        if (result.rows() == 0) return std::nullopt;
        return AccountRow{std::string(account_id), result.text(0, 0), result.integer(0, 1)};
    });
}

std::vector<ProjectRow> PostgresStore::projects(std::string_view account_id) {
    return with_connection([&](Connection& connection) {
        const Result result = connection.run(select_projects, Params().text(account_id));
        std::vector<ProjectRow> rows;
        for (int row = 0; row < result.rows(); ++row) rows.push_back(ProjectRow{result.text(row, 0), result.text(row, 1)});
        return rows;
    });
}

std::vector<StoredEvent> PostgresStore::events_after(std::string_view account_id, std::int64_t after_seq,
                                                     std::int64_t limit) {
    if (limit <= 0) return {};
    return with_connection([&](Connection& connection) {
        const Result result = connection.run(events_after_sql, Params().text(account_id).bigint(after_seq).bigint(limit));
        std::vector<StoredEvent> events;
        events.reserve(static_cast<std::size_t>(result.rows()));
        for (int row = 0; row < result.rows(); ++row) events.push_back(read_event(result, row));
        return events;
    });
}

std::vector<StoredEvent> PostgresStore::find_events(std::string_view account_id,
                                                    const std::vector<std::string>& event_ids) {
    if (event_ids.empty()) return {};
    BinaryArray ids(text_oid, event_ids.size(), false);
    for (const std::string& id : event_ids) ids.text(id);
    std::string ids_bytes = ids.take();
    return with_connection([&](Connection& connection) {
        const Result result = connection.run(find_events_sql, Params().text(account_id).owned(ids_bytes));
        std::vector<StoredEvent> events;
        for (int row = 0; row < result.rows(); ++row) events.push_back(read_event(result, row));
        return events;
    });
}

bool PostgresStore::session_seen_before(std::string_view account_id, std::string_view session_key,
                                        std::int64_t before_ns) {
    if (session_key.empty()) return false;  // such events store no session key
    return with_connection([&](Connection& connection) {
        return connection.run(session_seen, Params().text(account_id).text(session_key).bigint(before_ns)).rows() > 0;
    });
}

std::optional<std::int64_t> PostgresStore::append(const Batch& batch) {
    check_batch(batch);
    const auto count = static_cast<std::int64_t>(batch.new_events.size());
    // The arrays are built once, outside the transaction: it holds the account's row lock only
    // for the round trips.
    BinaryArray project_ids(text_oid, batch.new_projects.size(), false);
    BinaryArray project_bodies(text_oid, batch.new_projects.size(), false);
    for (const ProjectRow& project : batch.new_projects) {
        project_ids.text(project.project_id);
        project_bodies.text(project.body);
    }
    BinaryArray event_ids(text_oid, batch.new_events.size(), false);
    BinaryArray at_ns(bigint_oid, batch.new_events.size(), false);
    BinaryArray session_keys(text_oid, batch.new_events.size(), true);
    BinaryArray bodies(text_oid, batch.new_events.size(), false);
    for (const NewEvent& event : batch.new_events) {
        event_ids.text(event.event_id);
        at_ns.bigint(event.at_ns);
        if (event.session_key.empty()) {
            session_keys.null();
        } else {
            session_keys.text(event.session_key);
        }
        bodies.text(event.body);
    }
    Params projects;
    projects.text(batch.account_id).owned(project_ids.take()).owned(project_bodies.take());
    Params events;
    events.text(batch.account_id)
        .bigint(batch.expected_last_seq)
        .owned(event_ids.take())
        .owned(at_ns.take())
        .owned(session_keys.take())
        .owned(bodies.take());

    const bool written = with_connection([&](Connection& connection) {
        return in_transaction(connection, [&](Connection& c) {
            // The UPDATE row-locks the account: a second writer with the same expected cursor
            // waits, then finds the cursor moved and changes nothing.
            bool moved = false;
            if (batch.expected_last_seq == 0) {
                moved = c.run(insert_account, Params().text(batch.account_id).text(batch.header).bigint(count))
                            .rows_changed() == 1;
            }
            if (!moved) {
                moved = c.run(move_cursor,
                              Params().bigint(count).text(batch.account_id).bigint(batch.expected_last_seq))
                            .rows_changed() == 1;
            }
            if (!moved) return false;
            if (!batch.new_projects.empty()) c.run(insert_projects, projects);
            if (count > 0 && c.run(insert_events, events).rows_changed() != count) {
                throw StoreError("PostgreSQL stored a batch's events only in part");
            }
            return true;
        });
    });
    if (!written) return std::nullopt;
    return batch.expected_last_seq + count;
}

std::optional<CheckpointRow> PostgresStore::checkpoint(std::string_view account_id) {
    return with_connection([&](Connection& connection) -> std::optional<CheckpointRow> {
        const Result result = connection.run(select_checkpoint, Params().text(account_id));
        if (result.rows() == 0) return std::nullopt;
        return CheckpointRow{result.integer(0, 0), result.integer(0, 1), result.text(0, 2)};
    });
}

void PostgresStore::save_checkpoint(std::string_view account_id, const CheckpointRow& checkpoint) {
    check_checkpoint(account_id, checkpoint);
    with_connection([&](Connection& connection) {
        Params params;
        params.text(account_id).bigint(checkpoint.at_ns).bigint(checkpoint.cursor).text(checkpoint.document);
        if (connection.run(upsert_checkpoint, params).rows_changed() == 1) return;
        const Result account = connection.run(select_account, Params().text(account_id));
        if (account.rows() == 0) throw StoreError("no account " + std::string(account_id) + " to checkpoint");
        if (checkpoint.cursor > account.integer(0, 1)) {
            throw StoreError("a checkpoint's cursor is past its account's newest event");
        }
        // Otherwise a newer checkpoint is already saved and stays.
    });
}

}  // namespace

std::unique_ptr<Store> open_postgres(const std::string& uri) { return std::make_unique<PostgresStore>(uri); }

}  // namespace credits::server::detail
