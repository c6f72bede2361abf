// The account service: ingest and every read of docs/server.md, over the
// store, with the credit-rule core doing every check and every figure.
//
// Per account the service caches the loaded ledger -- from the stored
// checkpoint (if any) and the events after it -- under a per-account mutex,
// with an LRU bound. The cache is only a cache: before each use its cursor is
// compared with the store's, and newer events (another replica's) are appended
// first; an entry that may be ahead of the database is dropped. Ingest is
// checked against the cached (checkpointed) ledger when the checkpoint cannot
// have forgotten anything the batch touches, else against the whole stored
// history (docs/checkpoint-format.md, "What a checkpoint forgets").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "credits/api.h"
#include "metrics.h"
#include "store.h"

namespace credits::server {

struct ServiceLimits {
    std::size_t batch_events_max = 10'000;
    std::size_t cached_accounts_max = 64;
    // A checkpoint is written only once this many stored events are dated before
    // it, so young accounts stay whole (their ingest is cheap anyway).
    std::int64_t checkpoint_events_min = 1'000;
    int waiters_max = 32;
    std::int64_t changes_events_max = 10'000;
    // Reports before an account's checkpoint computed at once (each loads a whole
    // history); beyond: 503 overloaded.
    int whole_loads_max = 2;
};

// An answer: the HTTP status and the JSON body (the core's bytes, or the server's error).
struct Reply {
    int status = 200;
    std::string body;
    std::int64_t cursor = -1;   // /changes: the Credits-Cursor header (-1: none)
    bool more = false;          // /changes: Credits-More
    int retry_after_s = 0;      // 429, 503: Retry-After
};

// The server's own error in the core's shape: {"errors":[{"code",...,"message"}]}.
std::string error_body(std::string_view code, std::string_view message, std::string_view pointer = "");
// Account ids the server accepts: 1-128 of A-Z a-z 0-9 . _ : ~ - (one URL path segment as it is).
bool valid_account_id(std::string_view id);

enum class ReportKind { account, project, forecast };

struct ReportQuestion {
    ReportKind kind = ReportKind::account;
    std::string project_id;     // ReportKind::project
    std::string at;             // empty: now, whole seconds
    std::string from, to, utc_offset, utc_offsets;
};

class AccountService {
public:
    AccountService(Store& store, Engine engine, Metrics& metrics, ServiceLimits limits = {});

    Reply ingest(std::string body);
    Reply report(const std::string& account_id, const ReportQuestion& question);
    // The whole stored history as one document, written through `write` in pieces
    // (a big account is never held whole); nullopt when the account does not exist.
    // `write` returns false when the client has gone: writing stops.
    std::optional<Reply> document(const std::string& account_id, const std::function<bool(std::string_view)>& write);
    Reply console_ledger(const std::string& account_id);
    Reply changes(const std::string& account_id, std::int64_t after, int wait_s);
    Reply quote(std::string_view body) const;
    [[nodiscard]] bool account_exists(const std::string& account_id);

    // Wakes every long-poll (they answer 204) and refuses new ones: shutdown.
    void stop_waiting();
    [[nodiscard]] std::size_t cached_accounts() const;
    // Checkpoint instant of the cached entry (tests look at the policy's effect).
    [[nodiscard]] std::optional<std::int64_t> cached_checkpoint_at(const std::string& account_id);

    struct Entry;      // accounts.cpp
    struct Notifier;   // a long-poll's wake-up per account

private:
    std::shared_ptr<Entry> entry(const std::string& account_id);
    void evict(const std::string& account_id, const Entry* entry);
    std::shared_ptr<Notifier> notifier(const std::string& account_id);
    void notify(const std::string& account_id);

    // accounts_load.cpp: the cache entry made current with the store.
    void sync(Entry& entry, const AccountRow& row);
    void reload(Entry& entry, const AccountRow& row);
    // Every stored event (with seq <= up_to_seq, when given) as one loaded ledger.
    LoadedLedger load_whole(const AccountRow& row, std::int64_t* cursor, std::optional<std::int64_t> up_to_seq = std::nullopt);
    std::string fragment(const AccountRow& row, const std::vector<ProjectRow>& projects,
                         const std::vector<StoredEvent>& events) const;
    std::vector<StoredEvent> events_after(const std::string& account_id, std::int64_t after_seq);
    void catch_up(Entry& entry, const AccountRow& row);
    std::optional<std::int64_t> checkpoint_target(const Ledger& ledger) const;
    void checkpoint_after_commit(Entry& entry, const std::string& account_id, std::optional<LoadedLedger> whole,
                                 std::int64_t cursor, bool late);
    void write_checkpoint(Entry& entry, const std::string& account_id, const LoadedLedger& source,
                          std::int64_t at_ns, std::int64_t cursor);

    // accounts.cpp: ingest.
    struct IngestAttempt;
    Reply ingest_with_retries(const IngestAttempt& attempt, const std::string& body);
    std::optional<Reply> ingest_once(Entry& entry, const std::string& account_id, const std::string& body,
                                     const IngestAttempt& attempt);
    std::optional<Reply> ingest_new_account(Entry& entry, const std::string& body, const IngestAttempt& attempt);
    void refresh_after_commit(Entry& entry, const std::string& account_id);
    bool fast_path_holds(const Entry& entry, const IngestAttempt& attempt, const std::vector<StoredEvent>& stored);
    std::optional<Reply> commit(Entry& entry, const std::string& account_id, const IngestAttempt& attempt,
                                const std::vector<StoredEvent>& stored, const Answer& answer,
                                std::optional<LoadedLedger> whole);

    Store& store_;
    const Engine engine_;
    Metrics& metrics_;
    const ServiceLimits limits_;

    mutable std::mutex cache_mutex_;
    std::list<std::string> lru_;  // most recent first
    std::unordered_map<std::string, std::pair<std::shared_ptr<Entry>, std::list<std::string>::iterator>> cache_;

    std::mutex notifier_mutex_;
    std::unordered_map<std::string, std::weak_ptr<Notifier>> notifiers_;
    std::atomic<int> waiters_{0};
    std::atomic<int> whole_loads_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace credits::server
