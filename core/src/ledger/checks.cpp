// The document-wide checks (spec §9, §10): an event id used twice is an
// exact duplicate (ignored) or a conflict; exactly one account_opened, no event
// dated before it (or the checkpoint's opening, checkpoint_reader.cpp);
// every event of the document's account.
#include <algorithm>
#include <cassert>
#include <numeric>
#include <string>
#include <unordered_map>

#include "attributes.h"
#include "ledger/builder.h"

namespace credits::ledger_reading {
namespace {

// The canonical dump of a first event, read back and compared as JSON. Read
// with the strict parser the events were read with (no second nlohmann parser
// in the WebAssembly module: each parser instantiation is tens of KB there).
bool reparsed_equal(const std::string& canonical, const Json& element) {
    Json value;
    ErrorList ignored;
    return parse_json_document(canonical, ParseLimits{canonical.size() + 1, 1024, canonical.size() + 1}, value, ignored) &&
           value == element;
}

}  // namespace

CREDITS_COLD void LedgerBuilder::check_duplicates(std::string_view text) {
    if (repeated_.empty()) return;
    // Second pass over the events involved. Each repeat is compared with the first event
    // of its id as it comes by, so memory follows the distinct repeated events, not the
    // number of repeats (2,000,000 exact repeats used to be kept as as many DOM copies,
    // several GB for a 200 MB document). A first event is kept as its canonical dump:
    // nlohmann::json sorts object members, so the text's member order does not matter.
    struct First {
        std::string canonical;
        std::string id;
    };
    std::unordered_map<std::size_t, First> firsts;
    for (const auto& [first, later] : repeated_) firsts.emplace(first, First{});
    std::vector<char> equal(repeated_.size(), 0);  // parallel to repeated_ (in document order of the repeats)
    std::size_t next = 0;
    const auto visit = [&](std::size_t index, const Json& element) {
        if (const auto it = firsts.find(index); it != firsts.end()) {
            it->second.canonical = element.dump();
            it->second.id = element.at("id").get<std::string>();  // read as a string in the first pass
            return;
        }
        if (next < repeated_.size() && repeated_[next].second == index) {
            const std::string& canonical = firsts.at(repeated_[next].first).canonical;
            // Equal dumps are equal values; unequal dumps may still be (1 and 1.0): compare as JSON then.
            equal[next] = canonical == element.dump() || reparsed_equal(canonical, element);
            ++next;
        }
    };
    ErrorList reparse_errors;
    if (!event_ranges_.empty()) {
        // The fast path knows where each event is: parse just those, in document order.
        std::vector<std::size_t> wanted;
        wanted.reserve(firsts.size() + repeated_.size());
        for (const auto& entry : firsts) wanted.push_back(entry.first);
        for (const auto& [first, later] : repeated_) wanted.push_back(later);
        std::sort(wanted.begin(), wanted.end());
        for (const std::size_t index : wanted) {
            const auto [begin, end] = event_ranges_[index];
            Json element;
            parse_json_document(text.substr(begin, end - begin), event_parse_limits(limits_), element, reparse_errors);
            visit(index, element);
        }
    } else {
        Json root;
        parse_json_document(text, ParseLimits{limits_.document_bytes_max}, root, reparse_errors, "events",
                            [&](std::size_t index, Json&& element) { visit(index, element); });
    }
    assert(reparse_errors.empty());
    assert(next == repeated_.size());
    std::vector<std::size_t> order(repeated_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    sort_cold(order, [&](std::size_t a, std::size_t b) { return repeated_[a] < repeated_[b]; });
    for (const std::size_t k : order) {
        const auto& [first, later] = repeated_[k];
        if (equal[k] != 0) {
            ++ledger_.duplicates_ignored;
        } else {
            const std::string& id = firsts.at(first).id;
            errors_.add(code::duplicate_id_conflict, id, event_pointer(later),
                        "The event id \"" + id + "\" is used by two different events (first at " + event_pointer(first) +
                            "); an exact repeat would be ignored, a different one is a conflict.");
        }
    }
}

void LedgerBuilder::check_opening() {
    if (checkpoint_given_) {
        // The checkpoint holds the opening; the events after it are checked against it.
        check_against_checkpoint();
    } else if (!check_opening_event()) {
        return;
    }
    check_accounts();
}

// False when the opening is missing or its instant did not read (reported).
bool LedgerBuilder::check_opening_event() {
    if (openings_.empty()) {
        errors_.add(code::missing_account_opened, std::nullopt, "/events",
                    "The ledger has no account_opened event; every account starts with exactly one.");
        return false;
    }
    sort_cold(openings_, [](const EventRef& a, const EventRef& b) { return a.document_index < b.document_index; });
    for (std::size_t i = 1; i < openings_.size(); ++i) {
        errors_.add(code::duplicate_account_opened, std::string(openings_[i].event_id), event_pointer(openings_[i].document_index) + "/type",
                    "The account is opened more than once (also by \"" + std::string(openings_[0].event_id) + "\").");
    }
    std::int64_t opened_at_ns = instant_never_ns;
    for (const auto& [at_ns, ref] : event_stamps_) {
        // The same event (ids are distinct here), found without comparing strings.
        if (ref.document_index == openings_[0].document_index) opened_at_ns = at_ns;
    }
    if (opened_at_ns == instant_never_ns) return false;  // its `at` was invalid, already reported
    ledger_.opened_at_ns = opened_at_ns;
    for (const auto& [at_ns, ref] : event_stamps_) {
        if (at_ns < opened_at_ns) {
            errors_.add(code::event_before_opening, std::string(ref.event_id), event_pointer(ref.document_index) + "/at",
                        "This event is dated before the account was opened (" + format_instant(opened_at_ns) + ").");
        }
    }
    return true;
}

void LedgerBuilder::check_accounts() {
    // In document order: a hash map's order differs between the native and
    // the WebAssembly standard libraries, and both must give the same bytes.
    std::vector<std::pair<const std::string*, const EventRef*>> foreign;
    for (const auto& [account_id, ref] : named_accounts_) {
        if (account_id != ledger_.account_id) foreign.emplace_back(&account_id, &ref);
    }
    std::sort(foreign.begin(), foreign.end(),
              [](const auto& a, const auto& b) { return a.second->document_index < b.second->document_index; });
    for (const auto& [account_id, ref] : foreign) {
        errors_.add(code::account_mismatch, std::string(ref->event_id), event_pointer(ref->document_index) + "/account_id",
                    "This event belongs to account \"" + *account_id + "\", not to \"" + ledger_.account_id +
                        "\"; credits cannot move between accounts.");
    }
}

}  // namespace credits::ledger_reading
