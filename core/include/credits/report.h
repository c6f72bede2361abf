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
// The parts of the account report that depend on the instant only, not on
// the range: its grants[] array (grants_json) and its ledger[] array
// (ledger_entries_json), given as JSON text of the same state, as
// LoadedLedger keeps them for new ranges at one instant. Together they are
// most of a report's bytes. An empty text leaves that array out and its
// `*_offset` (optional) receives where it goes (LoadedLedger::report_parts);
// `count_entries` writes "ledger_entries" (the number of entries) instead of
// "ledger" (the report without ledger[]).
struct AccountReportParts {
    std::string_view grants;
    std::string_view ledger_entries;
    bool count_entries = false;
    std::size_t* grants_offset = nullptr;
    std::size_t* ledger_entries_offset = nullptr;
    // The members that depend on the state alone, written elsewhere
    // (balance_members_json, billing_members_json); empty: written here.
    std::string_view balance_members;
    std::string_view billing_members;
};
std::string account_report_json(const Ledger& ledger, const BurnDownState& state, const Query& query,
                                const AccountReportParts& parts);
// The account report's grants[] array at the state's instant.
std::string grants_json(const Ledger& ledger, const BurnDownState& state);
// The account report's members before grants[] that depend on the state alone
// ("balance" ... "expires_next"), and those after it ("failed_billings",
// "billing_period"): each `"key":value,...` without braces, as
// AccountReportParts takes them.
std::string balance_members_json(const Ledger& ledger, const BurnDownState& state);
std::string billing_members_json(const Ledger& ledger, const BurnDownState& state);

// Which entries of ledger[] a page holds: the kinds kept (a bit per
// EntryKind), the order, and the window [offset, offset + limit) of the kept ones.
struct EntryPage {
    std::uint32_t kinds = 0x3f;  // every kind (a bit per EntryKind)
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
