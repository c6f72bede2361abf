// The account report (the Usage popup) and the project report (the project
// detail page), spec §12–§13 and docs/report-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "credits/engine.h"
#include "credits/ledger.h"
#include "credits/result.h"
#include "credits/zone.h"

namespace credits {

// A question's instant and usage range: records count when
// from <= at < to, or at <= to when `to_inclusive` (to defaulted to T).
struct Query {
    std::int64_t at_ns = 0;
    std::int64_t from_ns = 0;
    std::int64_t to_ns = 0;
    bool to_inclusive = true;
    int utc_offset_minutes = 0;  // the offset in force at `at` (the reports' "utc_offset")
    // The day boundaries of daily rows: utc_offset_minutes without changes,
    // unless the question gave utc_offsets (then echoed in the reports).
    ZoneOffsets zone;
    bool zone_given = false;
};

// Reads at (required), from, to, utc_offset and utc_offsets (optional,
// empty = absent: the account's opening, T inclusive, the account's offset;
// at most one of the two offset parameters).
Result<Query> make_query(const Ledger& ledger, std::string_view at, std::string_view from = {},
                         std::string_view to = {}, std::string_view utc_offset = {},
                         std::string_view utc_offsets = {});

// Usage figures (spec §2): every token of a record lands in exactly one.
struct Figures {
    std::int64_t charged_tokens = 0;
    std::int64_t cache_hit_tokens = 0;
    std::int64_t summarization_tokens = 0;
    std::int64_t other_service_tokens = 0;
    std::int64_t cancelled_tokens = 0;
    std::int64_t pending_tokens = 0;

    [[nodiscard]] std::int64_t free_tokens() const {
        return cache_hit_tokens + summarization_tokens + other_service_tokens + cancelled_tokens + pending_tokens;
    }
    [[nodiscard]] std::int64_t total_tokens() const { return charged_tokens + free_tokens(); }
    Figures& operator+=(const Figures& other);
    friend bool operator==(const Figures&, const Figures&) = default;
};

enum class SessionStatus : std::uint8_t { completed, cancelled, in_progress };
SessionStatus session_status(const Ledger& ledger, const Session& session, std::int64_t at_ns);

// The figures of one record, classified by its session's status at `at_ns`.
Figures classify(const Ledger& ledger, const UsageRecord& record, std::int64_t at_ns);

std::string account_report_json(const Ledger& ledger, const State& state, const Query& query);
// The same, with its ledger[] array given as JSON text (ledger_entries_json
// of the same state), as Account keeps it for new ranges at one instant;
// `ledger_entries_offset` (optional) receives where that text starts. With
// empty `ledger_entries` the array is left out (Account::report_parts).
std::string account_report_json(const Ledger& ledger, const State& state, const Query& query,
                                std::string_view ledger_entries, std::size_t* ledger_entries_offset = nullptr);
// The account report without its ledger[] array, which is replaced by
// "ledger_entries": the number of entries it would hold (ledger_entries_page
// gives them a page at a time): for a host that shows a few entries.
std::string account_summary_report_json(const Ledger& ledger, const State& state, const Query& query);

// Which entries of ledger[] a page holds: the kinds kept (a bit per
// EntryKind), the order, and the window [offset, offset + limit) of the kept ones.
struct EntryPage {
    std::uint32_t kinds = 0x1f;  // every kind
    bool newest_first = false;
    std::int64_t offset = 0;
    std::int64_t limit = 0;
};
// {"at": T, "total": kept entries, "offset": o, "entries": [...]}, each entry
// the same bytes as in ledger[].
std::string ledger_entries_page_json(const State& state, const Ledger& ledger, const EntryPage& page);

// The account report's ledger[] array: the entries that explain the balance at
// the state's instant (not limited by any range).
std::string ledger_entries_json(const Ledger& ledger, const State& state);
// nullopt when the ledger has no such project.
std::optional<std::string> project_report_json(const Ledger& ledger, const State& state, const Query& query,
                                               std::string_view project_id);

}  // namespace credits
