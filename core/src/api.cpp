#include "credits/api.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "credits/checkpoint.h"
#include "credits/default_data.h"
#include "credits/forecast.h"
#include "credits/json_writer.h"
#include "credits/quote.h"
#include "credits/report.h"
#include "ledger/append.h"

namespace credits {

const BurnDownState& LoadedLedger::state_at(std::int64_t at_ns) {
    if (!state_ || state_->at_ns != at_ns) {
        state_ = burn_down(ledger_, at_ns);
        grants_json_.reset();
        ledger_entries_json_.reset();
        balance_members_json_.reset();
        billing_members_json_.reset();
        ++generation_;
    }
    return *state_;
}

AccountReportParts LoadedLedger::cached_parts() {
    assert(state_);
    if (!balance_members_json_) balance_members_json_ = balance_members_json(ledger_, *state_);
    if (!billing_members_json_) billing_members_json_ = billing_members_json(ledger_, *state_);
    AccountReportParts parts;
    parts.balance_members = *balance_members_json_;
    parts.billing_members = *billing_members_json_;
    return parts;
}

const std::string& LoadedLedger::grants_text() {
    assert(state_);
    if (!grants_json_) grants_json_ = grants_json(ledger_, *state_);
    return *grants_json_;
}

const std::string& LoadedLedger::entries_text() {
    assert(state_);
    if (!ledger_entries_json_) ledger_entries_json_ = ledger_entries_json(ledger_, *state_);
    return *ledger_entries_json_;
}

Answer LoadedLedger::report(std::string_view at, std::string_view from, std::string_view to, std::string_view utc_offset,
                       std::string_view utc_offsets) {
    const Result<Query> query = make_query(ledger_, at, from, to, utc_offset, utc_offsets);
    if (!query.ok()) return Answer{false, errors_json(query.errors)};
    const BurnDownState& state = state_at(query.value->at_ns);
    AccountReportParts parts = cached_parts();
    parts.grants = grants_text();
    parts.ledger_entries = entries_text();
    return Answer{true, account_report_json(ledger_, state, *query.value, parts)};
}

LoadedLedger::ReportParts LoadedLedger::report_parts(std::string_view at, std::string_view from, std::string_view to,
                                           std::string_view utc_offset, std::string_view utc_offsets,
                                           bool with_entries) {
    const Result<Query> query = make_query(ledger_, at, from, to, utc_offset, utc_offsets);
    if (!query.ok()) return ReportParts{Answer{false, errors_json(query.errors)}, 0, {}, 0, {}, 0};
    const BurnDownState& state = state_at(query.value->at_ns);
    ReportParts parts;
    AccountReportParts leave_out = cached_parts();
    leave_out.count_entries = !with_entries;
    leave_out.grants_offset = &parts.grants_offset;
    if (with_entries) leave_out.ledger_entries_offset = &parts.entries_offset;
    parts.rest = Answer{true, account_report_json(ledger_, state, *query.value, leave_out)};
    parts.grants = grants_text();
    if (with_entries) parts.entries = entries_text();
    parts.generation = generation_;
    return parts;
}

Answer LoadedLedger::project(std::string_view project_id, std::string_view at, std::string_view from, std::string_view to,
                        std::string_view utc_offset, std::string_view utc_offsets) {
    const Result<Query> query = make_query(ledger_, at, from, to, utc_offset, utc_offsets);
    if (!query.ok()) return Answer{false, errors_json(query.errors)};
    std::optional<std::string> json = project_report_json(ledger_, state_at(query.value->at_ns), *query.value, project_id);
    if (!json) {
        return Answer{false, errors_json({Error{std::string(code::unknown_project), std::nullopt, "/project_id",
                                                "The ledger has no project \"" + excerpt(project_id) + "\"."}})};
    }
    return Answer{true, std::move(*json)};
}

Answer LoadedLedger::forecast(std::string_view at) {
    const Result<Query> query = make_query(ledger_, at);
    if (!query.ok()) return Answer{false, errors_json(query.errors)};
    return Answer{true, forecast_json(ledger_, state_at(query.value->at_ns))};
}

Answer LoadedLedger::checkpoint(std::string_view at) const {
    Result<std::string> json = checkpoint_json(ledger_, sources_, at);
    if (!json.ok()) return Answer{false, errors_json(json.errors)};
    return Answer{true, std::move(*json.value)};
}

Answer LoadedLedger::report_summary(std::string_view at, std::string_view from, std::string_view to,
                               std::string_view utc_offset, std::string_view utc_offsets) {
    const Result<Query> query = make_query(ledger_, at, from, to, utc_offset, utc_offsets);
    if (!query.ok()) return Answer{false, errors_json(query.errors)};
    const BurnDownState& state = state_at(query.value->at_ns);
    AccountReportParts parts = cached_parts();
    parts.grants = grants_text();
    parts.count_entries = true;
    return Answer{true, account_report_json(ledger_, state, *query.value, parts)};
}

namespace {

// Reads the kinds and order of an entries page; the problems go to `errors`.
EntryPage read_entry_page(std::int64_t offset, std::int64_t limit, std::string_view kinds, std::string_view order,
                          ErrorList& errors) {
    constexpr std::array<std::string_view, 6> kind_names = {"grant", "repayment", "charge", "expiry", "billing_failed",
                                                            "opening"};
    static_assert(static_cast<std::size_t>(EntryKind::opening) + 1 == kind_names.size());
    EntryPage page;
    page.offset = offset;
    page.limit = limit;
    if (offset < 0 || offset > LoadedLedger::entries_offset_max) {
        errors.add(code::invalid_query, std::nullopt, "/offset",
                   "\"offset\" must be a whole number from 0 to " + std::to_string(LoadedLedger::entries_offset_max) +
                       "; found " + std::to_string(offset) + ".");
    }
    if (limit < 1 || limit > LoadedLedger::entries_limit_max) {
        errors.add(code::invalid_query, std::nullopt, "/limit",
                   "\"limit\" must be a whole number from 1 to " + std::to_string(LoadedLedger::entries_limit_max) +
                       "; found " + std::to_string(limit) + ".");
    }
    if (!kinds.empty()) {
        page.kinds = 0;
        // Each pass consumes one name and its comma: bounded by the text's length.
        for (std::size_t start = 0; start <= kinds.size();) {
            const std::size_t comma = std::min(kinds.find(',', start), kinds.size());
            const std::string_view name = kinds.substr(start, comma - start);
            const auto* known = std::find(kind_names.begin(), kind_names.end(), name);
            if (known == kind_names.end()) {
                errors.add(code::invalid_query, std::nullopt, "/kind",
                           "\"kind\" lists entry kinds separated by commas (grant, repayment, charge, expiry, "
                           "billing_failed, opening); found \"" + std::string(name) + "\".");
                break;
            }
            page.kinds |= 1u << static_cast<unsigned>(known - kind_names.begin());
            start = comma + 1;
        }
    }
    if (order == "newest") {
        page.newest_first = true;
    } else if (!order.empty() && order != "oldest") {
        errors.add(code::invalid_query, std::nullopt, "/order",
                   "\"order\" is \"oldest\" (the ledger's order) or \"newest\"; found \"" + std::string(order) + "\".");
    }
    return page;
}

}  // namespace

Answer LoadedLedger::entries(std::string_view at, std::int64_t offset, std::int64_t limit, std::string_view kinds,
                        std::string_view order) {
    const Result<Query> query = make_query(ledger_, at);
    ErrorList errors;
    if (!query.ok()) {
        for (const Error& e : query.errors) errors.add(e.code, e.event_id, e.pointer, e.message);
    }
    const EntryPage page = read_entry_page(offset, limit, kinds, order, errors);
    if (!errors.empty()) return Answer{false, errors_json(errors.take())};
    return Answer{true, ledger_entries_page_json(state_at(query.value->at_ns), ledger_, page)};
}

Answer LoadedLedger::append(std::string_view fragment) {
    if (!append_index_ || append_index_.use_count() > 1) {
        append_index_ = std::make_shared<ledger_reading::AppendIndex>();
        append_index_->build(ledger_, sources_);
    }
    assert(append_index_->sources_indexed == sources_.size());
    static const Catalog no_catalog;
    // Kept once accepted: the fragment's events are printed again from it
    // (a checkpoint's tail) and later repeats compared with them.
    auto text = std::make_shared<const std::string>(fragment);
    Result<ledger_reading::AppendCounts> counts = ledger_reading::append_fragment(
        ledger_, *append_index_, sources_, *text, rules_, catalog_ ? *catalog_ : no_catalog, LedgerLimits{});
    if (!counts.ok()) return Answer{false, errors_json(counts.errors)};
    sources_.push_back(std::move(text));
    append_index_->add_source(sources_, sources_.size() - 1);
    // The burn-down and the texts written from it are of the old ledger.
    state_.reset();
    grants_json_.reset();
    ledger_entries_json_.reset();
    balance_members_json_.reset();
    billing_members_json_.reset();
    ++generation_;
    JsonWriter w;
    w.begin_object().member("accepted", static_cast<std::int64_t>(counts.value->accepted));
    w.member("duplicates_ignored", static_cast<std::int64_t>(counts.value->duplicates_ignored)).end_object();
    return Answer{true, w.take()};
}

std::string LoadedLedger::summary_json() const {
    JsonWriter w;
    w.begin_object().member("account_id", ledger_.account_id);
    w.member("utc_offset", format_utc_offset(ledger_.utc_offset_minutes));
    w.instant("opened_at", ledger_.opened_at_ns);
    w.instant("last_event_at", ledger_.event_instants_ns.empty() ? ledger_.opened_at_ns : ledger_.event_instants_ns.back());
    w.member("events", static_cast<std::int64_t>(ledger_.event_instants_ns.size()));
    w.member("duplicates_ignored", static_cast<std::int64_t>(ledger_.duplicates_ignored));
    if (ledger_.checkpoint) {
        // Only for a checkpointed ledger: "events" counts those after its instant.
        w.key("checkpoint").begin_object().instant("at", ledger_.checkpoint->at_ns);
        w.member("events", ledger_.checkpoint->events).end_object();
    }
    w.key("projects").begin_array();
    for (const Project& p : ledger_.projects) w.begin_object().member("id", p.id).member("name", p.name).end_object();
    w.end_array().end_object();
    return w.take();
}

std::optional<Engine> Engine::create(std::string_view rules_text, std::string_view catalog_text, std::string* errors) {
    Result<Rules> rules = parse_rules(rules_text);
    Result<Catalog> catalog = parse_catalog(catalog_text);
    if (rules.ok() && catalog.ok()) return Engine(*rules.value, std::move(*catalog.value));
    // Say which document each error is about: pointers are relative to it.
    std::vector<Error> all;
    for (Error& e : rules.errors) {
        e.pointer = "/rules" + e.pointer;
        all.push_back(std::move(e));
    }
    for (Error& e : catalog.errors) {
        e.pointer = "/catalog" + e.pointer;
        all.push_back(std::move(e));
    }
    if (errors != nullptr) *errors = errors_json(all);
    return std::nullopt;
}

Engine Engine::with_defaults() {
    std::string errors;
    std::optional<Engine> engine = create(default_rules_json, default_catalog_json, &errors);
    assert(engine && "the shipped default rule set and catalog are valid");
    return std::move(*engine);
}

std::optional<LoadedLedger> Engine::load(std::string_view ledger_text, std::string* errors) const {
    Result<Ledger> ledger = parse_ledger(ledger_text, rules_, catalog_);
    if (!ledger.ok()) {
        if (errors != nullptr) *errors = errors_json(ledger.errors);
        return std::nullopt;
    }
    // Copied once it is accepted: a rejected document is never kept.
    return LoadedLedger(std::move(*ledger.value), std::make_shared<const std::string>(ledger_text), rules_,
                        std::make_shared<const Catalog>(catalog_));
}

std::optional<LoadedLedger> Engine::load(std::string&& ledger_text, std::string* errors) const {
    Result<Ledger> ledger = parse_ledger(ledger_text, rules_, catalog_);
    if (!ledger.ok()) {
        if (errors != nullptr) *errors = errors_json(ledger.errors);
        return std::nullopt;
    }
    return LoadedLedger(std::move(*ledger.value), std::make_shared<const std::string>(std::move(ledger_text)), rules_,
                        std::make_shared<const Catalog>(catalog_));
}

Answer Engine::quote(std::string_view input_text) const {
    const Result<QuoteInput> input = parse_quote_input(input_text, catalog_);
    if (!input.ok()) return Answer{false, errors_json(input.errors)};
    Result<std::string> json = quote_json(rules_, catalog_, *input.value);
    if (!json.ok()) return Answer{false, errors_json(json.errors)};
    return Answer{true, std::move(*json.value)};
}

Answer Engine::check(std::string_view ledger_text) const {
    std::string errors;
    const std::optional<LoadedLedger> account = load(ledger_text, &errors);
    if (!account) return Answer{false, std::move(errors)};
    std::string summary = account->summary_json();
    assert(summary.front() == '{');
    return Answer{true, "{\"ok\":true," + summary.substr(1)};
}

std::string Engine::catalog_json() const {
    JsonWriter w;
    w.begin_object().member("currency", catalog_.currency).amount("signup", rules_.signup_tokens);
    w.key("plans").begin_array();
    for (const Plan& p : catalog_.plans) {
        w.begin_object().member("id", p.id).member("name", p.name).amount("monthly", p.monthly_tokens);
        w.member("monthly_price_minor", p.monthly_price_minor).end_object();
    }
    w.end_array().key("packs").begin_array();
    for (const Pack& p : catalog_.packs) {
        w.begin_object().member("id", p.id).member("name", p.name).amount("credits", p.credits_tokens);
        w.member("price_minor", p.price_minor).end_object();
    }
    w.end_array().end_object();
    return w.take();
}

Answer credits_to_tokens_json(std::string_view credits_text) {
    bool out_of_range = false;
    const std::optional<std::int64_t> tokens = parse_credit_string(credits_text, &out_of_range);
    if (tokens) return Answer{true, std::to_string(*tokens)};
    const Error error{std::string(out_of_range ? code::amount_out_of_range : code::invalid_amount), std::nullopt, "",
                      out_of_range ? "The credit amount is more than the largest amount the core accepts (900719925474.0991 credits)."
                                   : "A credit amount looks like \"25\" or \"25.5\": digits, no leading zeros, at most four after the point."};
    return Answer{false, errors_json({error})};
}

std::string tokens_to_credits(std::int64_t tokens) { return format_credits(tokens); }

}  // namespace credits
