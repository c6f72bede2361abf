// The ledger document (spec §10) read into a Ledger: by the fast reader when
// the document is plain and valid (ledger/fast_reader.cpp), otherwise by the
// strict reader, which explains every problem. Both fill one LedgerBuilder
// (ledger/builder.h); docs/architecture.md lists which file holds which rule.
#include "credits/ledger.h"

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

#include "attributes.h"
#include "ledger/builder.h"

namespace credits {

std::string_view grant_source_name(GrantSource source) {
    switch (source) {
        case GrantSource::signup: return "signup";
        case GrantSource::promotion: return "promotion";
        case GrantSource::plan: return "plan";
        case GrantSource::purchase: return "purchase";
    }
    return "signup";
}

bool burns_before(const GrantRecord& a, const GrantRecord& b) {
    if (a.expires_at_ns != b.expires_at_ns) return a.expires_at_ns < b.expires_at_ns;
    const bool a_free = grant_source_is_free(a.source);
    const bool b_free = grant_source_is_free(b.source);
    if (a_free != b_free) return a_free;
    if (a.granted_at_ns != b.granted_at_ns) return a.granted_at_ns < b.granted_at_ns;
    return a.id < b.id;  // std::string compares bytes (char_traits<char> compares as unsigned char)
}

std::uint32_t Ledger::find_project(std::string_view id) const {
    const auto it = std::lower_bound(projects.begin(), projects.end(), id,
                                     [](const Project& p, std::string_view key) { return p.id < key; });
    if (it == projects.end() || it->id != id) return no_index;
    assert(projects.size() < no_index);  // at most LedgerLimits::projects_max
    return static_cast<std::uint32_t>(it - projects.begin());
}

namespace ledger_reading {

// The strict path: the whole document through the strict JSON reader and
// add_event, explaining every problem.
CREDITS_COLD std::optional<std::vector<Error>> read_strict_into(std::string_view text, const LedgerLimits& limits,
                                                               LedgerBuilder& builder, ErrorList& errors) {
    Json root;
    const ParseLimits parse_limits{limits.document_bytes_max};
    const bool parsed = parse_json_document(text, parse_limits, root, errors, "events",
                                            [&](std::size_t index, Json&& event) { builder.add_event(index, std::move(event)); });
    if (!parsed) {
        // A JSON-level error makes everything else noise: report it alone.
        std::vector<Error> all = errors.take();
        std::vector<Error> json_errors;
        for (Error& e : all)
            if (e.code == code::invalid_json || e.code == code::document_too_large || e.code == code::nesting_too_deep ||
                e.code == code::string_too_long || e.code == code::duplicate_member)
                json_errors.push_back(std::move(e));
        return json_errors.empty() ? std::move(all) : std::move(json_errors);
    }
    builder.finish(root, text);
    return std::nullopt;
}

}  // namespace ledger_reading

namespace {

CREDITS_COLD Result<Ledger> parse_ledger_strict(std::string_view text, const Rules& rules, const Catalog& catalog,
                                                const LedgerLimits& limits) {
    ErrorList errors;
    ledger_reading::LedgerBuilder builder(rules, catalog, limits, errors);
    if (std::optional<std::vector<Error>> json_errors = ledger_reading::read_strict_into(text, limits, builder, errors))
        return Result<Ledger>::failure(std::move(*json_errors));
    if (!errors.empty()) return Result<Ledger>::failure(errors.take());
    return Result<Ledger>::success(builder.take());
}

}  // namespace

Result<Ledger> parse_ledger(std::string_view text, const Rules& rules, const Catalog& catalog, const LedgerLimits& limits) {
    if (std::optional<Ledger> fast = ledger_reading::read_ledger_fast(text, rules, catalog, limits)) {
        return Result<Ledger>::success(std::move(*fast));
    }
    return parse_ledger_strict(text, rules, catalog, limits);
}

}  // namespace credits
