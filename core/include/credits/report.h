// The account report (the Usage popup) and the project report (the project
// detail page), spec §12–§13 and docs/report-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "credits/burn_down.h"
#include "credits/ledger.h"
#include "credits/result.h"
#include "credits/query.h"
#include "credits/usage.h"

namespace credits {


std::string account_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query);
// The same, with its ledger[] array given as JSON text (ledger_entries_json
// of the same state), as LoadedLedger keeps it for new ranges at one instant;
// `ledger_entries_offset` (optional) receives where that text starts. With
// empty `ledger_entries` the array is left out (LoadedLedger::report_parts).
std::string account_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query,
                                std::string_view ledger_entries, std::size_t* ledger_entries_offset = nullptr);
// The account report without its ledger[] array, which is replaced by
// "ledger_entries": the number of entries it would hold (ledger_entries_page
// gives them a page at a time): for a host that shows a few entries.
std::string account_summary_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query);

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
std::string ledger_entries_page_json(const BurnDownState& state, const Ledger& ledger, const EntryPage& page);

// The account report's ledger[] array: the entries that explain the balance at
// the state's instant (not limited by any range).
std::string ledger_entries_json(const Ledger& ledger, const BurnDownState& state);
// nullopt when the ledger has no such project.
std::optional<std::string> project_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query,
                                               std::string_view project_id);

}  // namespace credits
