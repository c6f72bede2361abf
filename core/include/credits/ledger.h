// The ledger document (spec §10), read into compact records. Reading
// validates the whole document, events after any report instant included;
// a ledger that reads at all is fully consistent, so the engine never fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/charge.h"
#include "credits/documents.h"
#include "credits/instant.h"
#include "credits/result.h"

namespace credits {

enum class GrantSource : std::uint8_t { signup, promotion, plan, purchase };
enum class Service : std::uint8_t { agent_chat, summarization, other };

std::string_view grant_source_name(GrantSource source);
// Free credits (signup, promotion) burn before paid ones on an expiry tie (spec §5).
inline bool grant_source_is_free(GrantSource source) {
    return source == GrantSource::signup || source == GrantSource::promotion;
}

inline constexpr std::uint32_t no_index = UINT32_MAX;

struct GrantRecord {
    std::string id;
    GrantSource source = GrantSource::signup;
    std::int64_t granted_at_ns = 0;
    std::int64_t expires_at_ns = instant_never_ns;  // instant_never_ns: never expires
    std::int64_t tokens = 0;
    std::optional<std::string> plan;
    std::optional<std::string> pack;
    std::optional<std::string> reason;
    std::optional<std::int64_t> period_start_ns;
    std::optional<std::int64_t> period_end_ns;

    [[nodiscard]] bool expires() const { return expires_at_ns != instant_never_ns; }
};

// Burn-down order (spec §5): soonest expiry, free before paid, oldest, id bytes.
bool burns_before(const GrantRecord& a, const GrantRecord& b);

struct FailedBilling {
    std::string id;
    std::int64_t at_ns = 0;
    std::string plan;
    std::int64_t period_start_ns = 0;
    std::int64_t period_end_ns = 0;
};

struct UsageRecord {
    std::int64_t at_ns = 0;
    std::uint32_t event = 0;            // index into Ledger::usage_event_ids
    std::uint32_t project = 0;          // index into Ledger::projects
    std::uint32_t task = no_index;      // index into Ledger::tasks
    std::uint32_t session = no_index;   // index into Ledger::sessions
    std::uint32_t model = no_index;     // index into Ledger::models
    std::uint32_t document_index = 0;   // position in the document's events array
    Service service = Service::agent_chat;
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    std::int64_t input_cache_hit_tokens = 0;
};

struct Task {
    std::uint32_t project = 0;
    std::string task_id;
    std::optional<std::int64_t> cancelled_at_ns;  // the earliest cancellation
    std::string cancel_event_id;
    std::optional<std::string> cancel_reason;
};

struct Session {
    std::uint32_t project = 0;
    std::uint32_t task = 0;
    std::string session_id;
    std::optional<std::int64_t> completed_at_ns;
    std::string completion_event_id;
    // Totals of the session's agent_chat records: what its completion charges.
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    // A session open at the ledger's checkpoint: its agent_chat tokens dated
    // before it (part of the totals above), which the forecast's replay counts
    // when it completes. Zero for every other session.
    std::int64_t history_output_tokens = 0;
    std::int64_t history_input_cache_miss_tokens = 0;
    std::int64_t history_input_cache_hit_tokens = 0;
    // A session completed before the checkpoint that later events still name:
    // the charge its completion made, in Checkpoint::charges (no_index otherwise).
    std::uint32_t history_charge = no_index;
};

struct Project {
    std::string id;
    std::string name;
};

// What the engine applies, in order (spec §10: at one instant expiries,
// grants, usage, completions; cancellations change no balance).
enum class ActionKind : std::uint8_t { expiry = 0, grant = 1, billing_failed = 2, completion = 3 };
struct Action {
    std::int64_t at_ns = 0;
    ActionKind kind = ActionKind::grant;
    std::uint32_t index = 0;  // grant, failed billing or session index
};

// The account's state before an instant S, read from a checkpointed document
// (docs/checkpoint-format.md): what the events dated before S left, so that
// reports at S or later equal those of the whole history.
struct GrantOpening {               // a grant made before S: its figures just before S
    std::int64_t used_tokens = 0;
    std::int64_t expired_tokens = 0;
    std::int64_t remaining_tokens = 0;
};

// Usage dated before S, summed per day in the account's offset. A row with
// `session == no_index` sums the records whose category is settled before S
// (no session, or a session completed or cancelled before S), per project; a
// row with a session holds that open session's agent_chat output + cache-miss
// tokens of the day (`open_tokens`), classified by the session's status at
// the report's instant. `at_ns` is the earliest record the row sums: a range
// counts the row when it holds that instant, and daily rows in another zone
// put it on that instant's date.
struct HistoryUsage {
    std::int64_t at_ns = 0;
    std::uint32_t project = 0;
    std::uint32_t session = no_index;
    std::int64_t charged_tokens = 0;
    std::int64_t cache_hit_tokens = 0;
    std::int64_t summarization_tokens = 0;
    std::int64_t other_service_tokens = 0;
    std::int64_t cancelled_tokens = 0;
    std::int64_t open_tokens = 0;
};

// Completions in (S - 30 days, S), summed per instant: the forecast's window
// and the calculator's replay at a later instant still reach back to them.
struct HistoryCompletion {
    std::int64_t at_ns = 0;
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    std::int64_t input_cache_hit_tokens = 0;
};

struct HistoryAllocation {
    std::uint32_t grant = 0;       // index into Ledger::grants
    std::int64_t tokens = 0;
};

// The charge entry of a session completed before S (Session::history_charge).
struct HistoryCharge {
    std::uint32_t session = 0;
    std::int64_t charged_tokens = 0;
    std::int64_t overdraft_tokens = 0;
    std::int64_t balance_tokens = 0;   // the balance right after the charge
    std::uint32_t allocations_begin = 0;  // into Checkpoint::allocations
    std::uint32_t allocations_end = 0;
};

struct Checkpoint {
    std::int64_t at_ns = 0;                  // S; every event of the ledger is dated at or after it
    std::vector<GrantOpening> grants;        // parallel to the first grants.size() of Ledger::grants
    std::int64_t overdraft_tokens = 0;
    std::int64_t charged_tokens = 0;         // lifetime charged before S
    std::vector<HistoryUsage> usage;         // sorted by at_ns, then project, then session
    std::vector<HistoryCompletion> completions;  // sorted by at_ns, one per instant
    std::vector<HistoryCharge> charges;
    std::vector<HistoryAllocation> allocations;
    std::int64_t events = 0;                 // distinct events dated before S it summarizes
};

struct Ledger {
    std::string account_id;
    int utc_offset_minutes = 0;
    std::int64_t opened_at_ns = 0;
    std::vector<Project> projects;          // sorted by id
    std::vector<GrantRecord> grants;        // sorted by granted_at, then id
    std::vector<FailedBilling> failed_billings;  // sorted by at, then id
    std::vector<UsageRecord> usage;         // sorted by at, then event id
    std::vector<std::string> usage_event_ids;
    std::vector<std::string> models;
    std::vector<Task> tasks;
    std::vector<Session> sessions;
    std::vector<Action> actions;            // sorted in application order
    std::vector<std::int64_t> event_instants_ns;  // every distinct event's instant, sorted
    std::size_t duplicates_ignored = 0;     // a checkpoint's included
    // The document's amount sum (spec §10: every token count and granted
    // amount of its distinct events), kept so an appended fragment is held to
    // the same bound as the whole history.
    std::int64_t amount_sum_tokens = 0;
    std::optional<Checkpoint> checkpoint;   // a checkpointed document's state before its events

    [[nodiscard]] std::uint32_t find_project(std::string_view id) const;
};

struct LedgerLimits {
    std::size_t document_bytes_max = std::size_t{512} * 1024 * 1024;
    std::size_t events_max = 2'000'000;
    std::size_t projects_max = 100'000;
};

Result<Ledger> parse_ledger(std::string_view text, const Rules& rules, const Catalog& catalog,
                            const LedgerLimits& limits = {});

}  // namespace credits
