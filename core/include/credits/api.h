// The core's public face: what the CLI and the WebAssembly bindings call.
// Every answer is JSON text: a report, or {"errors": [...]} with ok = false,
// so both builds return the same bytes for the same question.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "credits/documents.h"
#include "credits/burn_down.h"
#include "credits/ledger.h"

namespace credits {

struct Answer {
    bool ok = false;
    std::string json;
};

// A loaded ledger: the validated records plus the burn-down of the last
// instant asked about, so new ranges at the same instant are answered without
// running it again. JavaScript's Ledger (wasm/credits.js) wraps one.
namespace ledger_reading {
struct AppendIndex;
}

struct AccountReportParts;  // credits/report.h

class LoadedLedger {
public:
    // `rules` and `catalog` read appended fragments (Engine::load passes its
    // own); without a catalog a fragment's subscription_billed names no plan.
    explicit LoadedLedger(Ledger ledger, std::shared_ptr<const std::string> source = {}, Rules rules = {},
                          std::shared_ptr<const Catalog> catalog = {})
        : ledger_(std::move(ledger)), rules_(rules), catalog_(std::move(catalog)) {
        if (source) sources_.push_back(std::move(source));
    }

    // Adds a fragment -- a document of the same shape (format, account,
    // optional projects, events) read by the same readers -- to the loaded
    // ledger, checked against everything loaded as if it were one document:
    // exact repeats of loaded events or within the fragment are ignored (and
    // counted), every other rule of spec §10 holds for the whole, and error
    // pointers are into the fragment. All or nothing: {"accepted": N,
    // "duplicates_ignored": M} (N distinct new events), or the errors and the
    // ledger exactly as it was. The cost follows the fragment's events; the
    // first append also builds the indexes it checks against (one pass over
    // the loaded ledger), and the next report runs the burn-down again.
    Answer append(std::string_view fragment);

    // `utc_offset` (optional) draws the daily rows in another offset than the
    // account's; `utc_offsets` (optional, instead) in a zone whose offset
    // changes: "+01:00,2026-03-29T01:00:00Z=+02:00,..." (credits/zone.h).
    Answer report(std::string_view at, std::string_view from = {}, std::string_view to = {},
                  std::string_view utc_offset = {}, std::string_view utc_offsets = {});
    Answer project(std::string_view project_id, std::string_view at, std::string_view from = {},
                   std::string_view to = {}, std::string_view utc_offset = {}, std::string_view utc_offsets = {});
    Answer forecast(std::string_view at);
    // The checkpointed document at `at` (docs/checkpoint-format.md): the
    // state before it and the events from it on, a ledger document itself.
    Answer checkpoint(std::string_view at) const;
    // The account report without its ledger[] array ("ledger_entries" counts
    // it): what a page needs when it shows a page of entries, not all of them.
    Answer report_summary(std::string_view at, std::string_view from = {}, std::string_view to = {},
                          std::string_view utc_offset = {}, std::string_view utc_offsets = {});
    // A page of the report's ledger[] at `at`: {"at", "total", "offset", "entries"}.
    // `kinds`: comma-separated entry kinds to keep (grant, repayment, charge,
    // expiry, billing_failed, opening), empty for all; `order`: "oldest" (default, the
    // ledger[] order) or "newest"; 0 <= offset <= entries_offset_max,
    // 1 <= limit <= entries_limit_max.
    static constexpr std::int64_t entries_limit_max = 10000;
    static constexpr std::int64_t entries_offset_max = std::int64_t{1} << 31;
    Answer entries(std::string_view at, std::int64_t offset, std::int64_t limit, std::string_view kinds = {},
                   std::string_view order = {});

    [[nodiscard]] const Ledger& ledger() const { return ledger_; }
    // The texts the ledger was read from, kept so that its events can be
    // printed again verbatim (a checkpoint's tail) and a repeat told from a
    // conflict (append): the loaded document, then each appended fragment.
    // Their bytes are the document's; ledger_reading::source_events finds the events in them.
    [[nodiscard]] const std::vector<std::shared_ptr<const std::string>>& sources() const { return sources_; }

    // report() (or report_summary(), `with_entries` false) in parts, for a
    // host that keeps text across reports (wasm/credits.js): the report
    // without its grants[] and ledger[] arrays, where those arrays go, and the
    // arrays themselves -- the same bytes for every range at one instant and
    // most of the report, so the host decodes them once per `generation`.
    // `grants` and `entries` stay valid until the next call. The parts joined
    // are the bytes report() (report_summary()) returns; without entries,
    // `entries` is empty and `entries_offset` 0.
    struct ReportParts {
        Answer rest;                    // with ok = false: the errors, and no arrays
        std::size_t grants_offset = 0;
        std::string_view grants;
        std::size_t entries_offset = 0;
        std::string_view entries;
        std::uint64_t generation = 0;   // changes whenever `grants` or `entries` may
    };
    ReportParts report_parts(std::string_view at, std::string_view from = {}, std::string_view to = {},
                             std::string_view utc_offset = {}, std::string_view utc_offsets = {},
                             bool with_entries = true);
    // The account's facts for a host page: id, offset, opening, projects.
    [[nodiscard]] std::string summary_json() const;

private:
    const BurnDownState& state_at(std::int64_t at_ns);
    const std::string& grants_text();
    const std::string& entries_text();
    // The cached members of the report at state_ (see balance_members_json_), as its parts.
    AccountReportParts cached_parts();
    Ledger ledger_;
    std::vector<std::shared_ptr<const std::string>> sources_;
    Rules rules_;
    std::shared_ptr<const Catalog> catalog_;
    // append's indexes, built on the first append (shared by copies of this
    // ledger until one appends: then it builds its own).
    std::shared_ptr<ledger_reading::AppendIndex> append_index_;
    std::optional<BurnDownState> state_;
    // The account report's grants[] and ledger[] for state_ (they do not
    // depend on the range), each written once when first asked for: most of
    // a report's bytes, so a new range is cheap. `generation_` changes with
    // state_, so a host's copies of these texts are known to be current.
    std::optional<std::string> grants_json_;
    std::optional<std::string> ledger_entries_json_;
    // The report's members that depend on state_ alone (balance, its sources
    // and next expiry; failed billings and the billing period): each a pass
    // over every grant, so kept too, or a re-run would cost the account's size.
    std::optional<std::string> balance_members_json_;
    std::optional<std::string> billing_members_json_;
    std::uint64_t generation_ = 0;
};

class Engine {
public:
    // Reads the rule set and the catalog; errors as JSON when either is bad.
    static std::optional<Engine> create(std::string_view rules_text, std::string_view catalog_text, std::string* errors_json);
    // With the shipped default rule set and example catalog.
    static Engine with_defaults();

    // nullopt with `errors_json` set when the document is rejected.
    // The loaded ledger keeps the text (LoadedLedger::sources): a copy of
    // `ledger_text`, or the string itself when it is moved in.
    std::optional<LoadedLedger> load(std::string_view ledger_text, std::string* errors_json) const;
    std::optional<LoadedLedger> load(std::string&& ledger_text, std::string* errors_json) const;
    Answer quote(std::string_view input_text) const;
    // Validates only: {"ok": true, ...counts} or the errors.
    Answer check(std::string_view ledger_text) const;
    [[nodiscard]] std::string catalog_json() const;

    [[nodiscard]] const Rules& rules() const { return rules_; }
    [[nodiscard]] const Catalog& catalog() const { return catalog_; }

private:
    Engine(Rules rules, Catalog catalog) : rules_(rules), catalog_(std::move(catalog)) {}
    Rules rules_;
    Catalog catalog_;
};

// Conversions for the calculator: "12.5" -> 125000 tokens, 4200 -> "0.4200".
Answer credits_to_tokens_json(std::string_view credits_text);
std::string tokens_to_credits(std::int64_t tokens);

}  // namespace credits
