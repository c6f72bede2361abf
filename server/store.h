// The server's database: every account's accepted events, its checkpoint and
// the API tokens, behind one interface with two implementations -- SQLite
// (the default, embedded) and PostgreSQL (at scale). The schema, the same on
// both, is in docs/server.md; migrations are numbered and applied by migrate().
//
// Every method is safe to call from many threads at once (each implementation
// keeps its own connections). A method that cannot reach or use the database
// throws StoreError; the caller answers 503 and keeps nothing it half-read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace credits::server {

struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An event as stored: its canonical JSON text (keys sorted, no spaces) and the
// arrival sequence the account's cursor counts (1, 2, 3, ... per account).
struct StoredEvent {
    std::int64_t seq = 0;
    std::string event_id;
    std::int64_t at_ns = 0;   // the event's `at` as UTC nanoseconds since 1970
    std::string body;         // canonical JSON of the whole event object
};

// An event to store. `session_key` is the canonical JSON array
// ["project_id","task_id","session_id"] for events that name a session (usage
// with session_id, session_completed), empty otherwise: the server asks about sessions a checkpoint forgets.
struct NewEvent {
    std::string event_id;
    std::int64_t at_ns = 0;
    std::string session_key;
    std::string body;
};

struct ProjectRow {
    std::string project_id;
    std::string body;         // canonical JSON of the project object {"id","name"}
};

struct AccountRow {
    std::string account_id;
    std::string header;       // canonical JSON of the document's `account` object
    std::int64_t last_seq = 0;  // the cursor: seq of the newest stored event (0: none)
};

// A checkpointed document (docs/checkpoint-format.md) at `at_ns`, written
// from every event with seq <= `cursor`.
struct CheckpointRow {
    std::int64_t at_ns = 0;
    std::int64_t cursor = 0;
    std::string document;
};

enum class TokenKind { service, account };

struct Principal {
    TokenKind kind = TokenKind::account;
    std::string account_id;   // empty for service tokens
};

// What one accepted batch writes, in one transaction. `expected_last_seq` is
// the cursor the batch was validated against: when the account has moved on
// (another writer, another replica), nothing is written and append() returns
// nullopt, so the caller re-validates against the newer events.
struct Batch {
    std::string account_id;
    std::string header;                    // stored only when the account is new
    std::vector<ProjectRow> new_projects;  // projects the account did not have
    std::vector<NewEvent> new_events;      // seq assigned in this order
    std::int64_t expected_last_seq = 0;    // 0 with no account row: a new account
};

class Store {
public:
    virtual ~Store() = default;

    // "sqlite:PATH" (the file and its folder are created) or "postgresql://..." /
    // "postgres://..." (a libpq connection URI). Throws StoreError.
    static std::unique_ptr<Store> open(std::string_view database_url);

    // Applies the numbered migrations not applied yet, each in its own
    // transaction; returns the schema version now in force.
    virtual int migrate() = 0;

    virtual void add_token(std::string_view token_hash_hex, const Principal& principal) = 0;
    virtual std::optional<Principal> find_token(std::string_view token_hash_hex) = 0;

    virtual std::optional<AccountRow> account(std::string_view account_id) = 0;
    virtual std::vector<ProjectRow> projects(std::string_view account_id) = 0;
    // Events with seq > after_seq in seq order, at most `limit`.
    virtual std::vector<StoredEvent> events_after(std::string_view account_id, std::int64_t after_seq,
                                                  std::int64_t limit) = 0;
    // The stored events among `event_ids` (any order).
    virtual std::vector<StoredEvent> find_events(std::string_view account_id,
                                                 const std::vector<std::string>& event_ids) = 0;
    // Whether any stored event naming `session_key` is dated before `before_ns`.
    virtual bool session_seen_before(std::string_view account_id, std::string_view session_key,
                                     std::int64_t before_ns) = 0;

    // The new cursor, or nullopt when expected_last_seq is stale (nothing written).
    virtual std::optional<std::int64_t> append(const Batch& batch) = 0;

    virtual std::optional<CheckpointRow> checkpoint(std::string_view account_id) = 0;
    // Replaces the account's checkpoint.
    virtual void save_checkpoint(std::string_view account_id, const CheckpointRow& checkpoint) = 0;
};

}  // namespace credits::server
