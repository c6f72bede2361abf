// Internal to the account service (accounts*.cpp): the cache entry, the
// long-poll notifier and the small helpers the service's files share.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "accounts.h"

namespace credits::server {

// One account's loaded ledger. `cursor` is the seq of the newest stored event
// the ledger holds; `checkpoint_at_ns` the instant of the checkpoint it was
// loaded from (none: it holds the whole history). A ledger of nullopt is not
// loaded (or was dropped because it may be ahead of the database).
struct AccountService::Entry {
    std::mutex mutex;
    std::optional<LoadedLedger> ledger;
    std::optional<std::int64_t> checkpoint_at_ns;
    std::int64_t cursor = 0;

    void reset() {
        ledger.reset();
        checkpoint_at_ns.reset();
        cursor = 0;
    }
};

// A long-poll's wake-up: `generation` moves on every commit to the account.
struct AccountService::Notifier {
    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t generation = 0;
};

// Pages read from the store per call: bounded memory per query, and a bound
// on the loops that read a whole account (core LedgerLimits: 2M events).
inline constexpr std::int64_t store_page_events = 10'000;
inline constexpr int store_pages_max = 1'000;

inline constexpr std::string_view ledger_format = "easycoda.ledger/1";

// The session key (store.h NewEvent) of an event that names a session (usage
// with a session_id, session_completed), empty otherwise.
std::string session_key_of(const nlohmann::json& event);
// The canonical JSON array ["project_id","task_id","session_id"]: unambiguous
// whatever characters the ids hold.
std::string session_key(const std::string& project_id, const std::string& task_id, const std::string& session_id);
// Whether any of a batch's stored events is newer than the ledger it is checked
// against: another writer committed them after the entry was made current, and
// the ledger does not hold them, so the batch must be checked again.
bool stored_past_cursor(const std::vector<StoredEvent>& stored, std::int64_t cursor);
// The JSON numbers of {"accepted":N,"duplicates_ignored":M}; nullopt if not that shape.
std::optional<std::pair<std::int64_t, std::int64_t>> append_counts(const std::string& answer);
// The start (00:00 in the account's offset) of the calendar month before the
// month of `ns`.
std::int64_t previous_month_start_ns(std::int64_t ns, int utc_offset_minutes);

}  // namespace credits::server
