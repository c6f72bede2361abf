// Invariants the fuzz targets assert on every input (no crash, no hang, an answer that parses), shared with the
// Catch suite (tests/fuzz_replay_test.cpp replays the corpora and the crash
// regressions through the same checks in the native, sanitized and wasm builds).
//
// A check that fails calls CREDITS_FUZZ_FAIL(message): abort() in the fuzzers
// (libFuzzer then saves the input), an exception in the Catch suite.
//
// What is checked, for whatever bytes arrive:
//  - the core never crashes, leaks, overflows or reads out of bounds (ASan/UBSan);
//  - a rejection is a well-formed {"errors": [...]} document: 1..101 errors, each
//    with a code, a pointer ("" or starting with "/"), an event id or null, a message;
//  - an answer is one JSON object; every "X_tokens" member is followed by its
//    "X_credits" string, equal to the exact conversion (docs/report-format.md);
//  - account reports conserve (spec §14): granted = used + expired + remaining per
//    grant, lifetime charged = used + overdraft, balance = active remaining -
//    overdraft, can_start_agent_chat = balance > 0; every usage figure splits into
//    its categories; projects and days add up to the total; the ledger entries
//    end on the balance; the same question asked again gives the same bytes;
//  - project reports agree with the account report's row for the project;
//  - forecasts agree with the balance; quotes add up (hit + miss = input, ...).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "credits/amount.h"
#include "credits/api.h"
#include "credits/default_data.h"
#include "credits/forecast.h"
#include "credits/instant.h"
#include "credits/provider_usage.h"

namespace credits_fuzz {

using OJson = nlohmann::ordered_json;

[[noreturn]] inline void abort_with(const std::string& what) {
    std::fprintf(stderr, "\n*** fuzz invariant failed: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// The Catch suite defines CREDITS_FUZZ_THROW before including this header (in every
// file that includes it, so the inline functions stay the same everywhere).
#if defined(CREDITS_FUZZ_THROW)
#define CREDITS_FUZZ_FAIL(message) throw std::runtime_error(message)
#else
#define CREDITS_FUZZ_FAIL(message) ::credits_fuzz::abort_with(message)
#endif

#define FZ_CHECK(condition, what)                                                                          \
    do {                                                                                                    \
        if (!(condition)) {                                                                                 \
            CREDITS_FUZZ_FAIL(std::string(what) + " [" #condition "] (" __FILE__ ":" +                     \
                              std::to_string(__LINE__) + ")");                                              \
        }                                                                                                   \
    } while (0)

inline const credits::Engine& default_engine() {
    static const credits::Engine engine = credits::Engine::with_defaults();
    return engine;
}

inline OJson parse_output(const std::string& text, std::string_view what) {
    OJson value = OJson::parse(text, nullptr, false);
    FZ_CHECK(!value.is_discarded(), std::string(what) + " is not JSON: " + text.substr(0, 300));
    FZ_CHECK(value.is_object(), std::string(what) + " is not a JSON object");
    return value;
}

inline bool is_int(const OJson& v) { return v.is_number_integer() || v.is_number_unsigned(); }
inline std::int64_t as_int(const OJson& v, std::string_view what) {
    FZ_CHECK(is_int(v), std::string(what) + " is not an integer: " + v.dump());
    return v.get<std::int64_t>();
}
inline std::int64_t member_int(const OJson& object, const char* key) {
    FZ_CHECK(object.is_object() && object.contains(key), std::string("missing member ") + key);
    return as_int(object.at(key), key);
}

// Every "X_tokens" integer is immediately followed by "X_credits" with the exact
// decimal; "tokens" by "credits". Every integer stays within +-(2^53 - 1).
// The quote's "input" echo holds plain counts and is skipped.
inline void check_amounts(const OJson& value) {
    if (value.is_array()) {
        for (const OJson& item : value) check_amounts(item);
        return;
    }
    if (is_int(value)) {
        FZ_CHECK(value.is_number_integer() || value.get<std::uint64_t>() <= std::uint64_t{1} << 53,
                 "integer above 2^53: " + value.dump());
        const std::int64_t n = value.get<std::int64_t>();
        FZ_CHECK(n <= credits::amount_tokens_max && n >= -credits::amount_tokens_max, "integer beyond 2^53 - 1");
        return;
    }
    if (!value.is_object()) return;
    const auto end = value.end();
    for (auto it = value.begin(); it != end; ++it) {
        const std::string& key = it.key();
        if (key == "input") continue;
        check_amounts(it.value());
        std::string credits_key;
        if (key == "tokens") {
            credits_key = "credits";
        } else if (key.size() > 7 && key.compare(key.size() - 7, 7, "_tokens") == 0) {
            credits_key = key.substr(0, key.size() - 7) + "_credits";
        } else {
            continue;
        }
        if (!is_int(it.value())) continue;
        auto next = std::next(it);
        FZ_CHECK(next != end && next.key() == credits_key, "\"" + key + "\" is not followed by \"" + credits_key + "\"");
        FZ_CHECK(next.value().is_string() &&
                     next.value().get<std::string>() == credits::format_credits(it.value().get<std::int64_t>()),
                 "\"" + credits_key + "\" does not match \"" + key + "\"");
    }
}

inline void check_errors(const std::string& text, std::string_view pointer_prefix = {}) {
    const OJson doc = parse_output(text, "an error answer");
    FZ_CHECK(doc.size() == 1 && doc.contains("errors") && doc["errors"].is_array(), "errors document shape");
    const OJson& errors = doc["errors"];
    FZ_CHECK(!errors.empty() && errors.size() <= credits::ErrorList::errors_max + 1, "error count");
    for (std::size_t i = 0; i < errors.size(); ++i) {
        const OJson& e = errors[i];
        FZ_CHECK(e.is_object() && e.size() == 4, "error member count");
        FZ_CHECK(e["code"].is_string() && !e["code"].get<std::string>().empty(), "error code");
        FZ_CHECK(e["event_id"].is_null() || e["event_id"].is_string(), "error event_id");
        FZ_CHECK(e["message"].is_string() && !e["message"].get<std::string>().empty(), "error message");
        FZ_CHECK(e["pointer"].is_string(), "error pointer");
        const std::string pointer = e["pointer"].get<std::string>();
        FZ_CHECK(pointer.empty() || pointer[0] == '/', "pointer \"" + pointer + "\" is not a JSON pointer");
        FZ_CHECK(pointer.compare(0, pointer_prefix.size(), pointer_prefix) == 0, "pointer prefix");
        if (e["code"] == "too_many_errors") FZ_CHECK(i + 1 == errors.size(), "too_many_errors is last");
    }
}

// charged, cache_hit, summarization, other_service, cancelled, pending
using Six = std::array<std::int64_t, 6>;

inline Six figures(const OJson& f) {
    const OJson& free = f.at("free");
    Six six{member_int(f, "charged_tokens"),      member_int(free, "cache_hit_tokens"),
            member_int(free, "summarization_tokens"), member_int(free, "other_service_tokens"),
            member_int(free, "cancelled_tokens"), member_int(free, "pending_tokens")};
    std::int64_t free_sum = 0;
    for (std::size_t i = 0; i < six.size(); ++i) {
        FZ_CHECK(six[i] >= 0, "a usage figure is negative");
        if (i > 0) free_sum += six[i];
    }
    FZ_CHECK(member_int(f, "free_tokens") == free_sum, "free = sum of the five free categories");
    FZ_CHECK(member_int(f, "total_tokens") == six[0] + free_sum, "total = charged + free");
    return six;
}

inline Six& operator+=(Six& a, const Six& b) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
    return a;
}

// Conservation and the figures' sums of one account report (spec §13, §14).
// `default_range`: from the opening to T inclusive, so usage.charged equals
// everything charged so far.
inline void check_account_report(const OJson& r, bool default_range) {
    FZ_CHECK(r.at("format") == "easycoda.report/1" && r.at("kind") == "account", "report kind");
    check_amounts(r);
    const std::int64_t balance = member_int(r, "balance_tokens");
    const std::int64_t overdraft = member_int(r, "overdraft_tokens");
    const std::int64_t lifetime = member_int(r, "lifetime_charged_tokens");
    FZ_CHECK(overdraft >= 0 && lifetime >= 0, "overdraft and lifetime charged are not negative");
    FZ_CHECK(r.at("can_start_agent_chat") == (balance > 0), "can_start_agent_chat = balance > 0");
    std::int64_t used = 0;
    std::int64_t active_remaining = 0;
    std::int64_t by_source[4] = {0, 0, 0, 0};
    const char* sources[4] = {"signup", "promotion", "plan", "purchase"};
    for (const OJson& g : r.at("grants")) {
        const std::int64_t granted = member_int(g, "granted_tokens");
        const std::int64_t u = member_int(g, "used_tokens");
        const std::int64_t expired = member_int(g, "expired_tokens");
        const std::int64_t remaining = member_int(g, "remaining_tokens");
        FZ_CHECK(u >= 0 && expired >= 0 && remaining >= 0, "grant figures are not negative");
        FZ_CHECK(granted == u + expired + remaining, "granted = used + expired + remaining");
        used += u;
        if (g.at("active") == true) {
            active_remaining += remaining;
            for (int s = 0; s < 4; ++s)
                if (g.at("source") == sources[s]) by_source[s] += remaining;
        } else {
            FZ_CHECK(remaining == 0, "an inactive grant has nothing remaining");
        }
    }
    FZ_CHECK(lifetime == used + overdraft, "charged = grants' used + overdraft outstanding");
    FZ_CHECK(balance == active_remaining - overdraft, "balance = active remaining - overdraft");
    FZ_CHECK(overdraft == 0 || active_remaining == 0, "no grant keeps tokens while an overdraft is outstanding");
    for (int s = 0; s < 4; ++s)
        FZ_CHECK(member_int(r.at("balance_by_source").at(sources[s]), "remaining_tokens") == by_source[s],
                 "balance_by_source");
    if (!r.at("expires_next").is_null()) {
        FZ_CHECK(member_int(r.at("expires_next"), "remaining_tokens") > 0, "expires_next has tokens");
        const auto next = credits::parse_instant(r.at("expires_next").at("expires_at").get<std::string>());
        const auto at = credits::parse_instant(r.at("at").get<std::string>());
        FZ_CHECK(next && at && next->ns > at->ns, "expires_next is after T");
    }

    const Six usage = figures(r.at("usage"));
    Six projects{};
    for (const OJson& p : r.at("projects")) projects += figures(p);
    FZ_CHECK(projects == usage, "projects add up to the usage");
    Six daily{};
    std::string previous_date;
    for (const OJson& d : r.at("daily")) {
        const Six day = figures(d);
        std::int64_t total = 0;
        for (const std::int64_t v : day) total += v;
        FZ_CHECK(total > 0, "a daily row has tokens");
        const std::string date = d.at("date").get<std::string>();
        FZ_CHECK(date > previous_date, "daily rows ascend");
        previous_date = date;
        daily += day;
    }
    FZ_CHECK(daily == usage, "days add up to the usage");
    if (default_range) FZ_CHECK(usage[0] == lifetime, "usage.charged = lifetime charged over the default range");

    std::int64_t charged_in_ledger = 0;
    const OJson& entries = r.at("ledger");
    for (const OJson& e : entries) {
        if (e.at("kind") != "charge") continue;
        std::int64_t allocated = 0;
        for (const OJson& a : e.at("allocations")) {
            const std::int64_t t = member_int(a, "tokens");
            FZ_CHECK(t > 0, "an allocation takes tokens");
            allocated += t;
        }
        const std::int64_t charged = member_int(e, "charged_tokens");
        FZ_CHECK(allocated + member_int(e, "overdraft_tokens") == charged, "allocations + overdraft = charge");
        FZ_CHECK(charged == member_int(e, "output_tokens") + member_int(e, "input_cache_miss_tokens"),
                 "charge = output + cache-miss input");
        charged_in_ledger += charged;
    }
    FZ_CHECK(charged_in_ledger == lifetime, "the charge entries add up to lifetime charged");
    if (!entries.empty()) FZ_CHECK(member_int(entries.back(), "balance_tokens") == balance, "the ledger ends on the balance");
    FZ_CHECK(member_int(r, "duplicates_ignored") >= 0 && member_int(r, "events_after_at") >= 0, "counts");
}

inline void check_project_report(const OJson& p, const OJson& account_row) {
    FZ_CHECK(p.at("kind") == "project", "project report kind");
    check_amounts(p);
    const Six usage = figures(p.at("usage"));
    FZ_CHECK(usage == figures(account_row), "project report = its row in the account report");
    Six parts = figures(p.at("untasked"));
    for (const OJson& t : p.at("tasks")) {
        const Six task = figures(t);
        parts += task;
        Six sessions{};
        for (const OJson& s : t.at("sessions")) {
            sessions += figures(s);
            FZ_CHECK((s.at("status") == "completed") == !s.at("charge").is_null(),
                     "a session has a charge exactly when it is completed");
        }
        for (std::size_t i = 0; i < task.size(); ++i) FZ_CHECK(sessions[i] <= task[i], "sessions within their task");
    }
    FZ_CHECK(parts == usage, "tasks + untasked = project usage");
    Six daily{};
    for (const OJson& d : p.at("daily")) daily += figures(d);
    FZ_CHECK(daily == usage, "project days add up");
}

// A loaded account: questions at several instants, each checked.
inline void check_account(credits::LoadedLedger& account) {
    const credits::Ledger& ledger = account.ledger();
    std::vector<std::int64_t> instants{ledger.opened_at_ns};
    const auto& all = ledger.event_instants_ns;
    if (!all.empty()) {
        instants.push_back(all[all.size() / 2]);
        instants.push_back(all.back());
        const std::int64_t later = all.back() + 45 * credits::nanos_per_day;
        if (later < credits::instant_end_ns) instants.push_back(later);
    }
    std::string first_report;
    for (std::size_t i = 0; i < instants.size(); ++i) {
        const std::string at = credits::format_instant(instants[i]);
        const credits::Answer report = account.report(at);
        FZ_CHECK(report.ok, "a loaded ledger answers a report at " + at + ": " + report.json.substr(0, 300));
        const OJson r = parse_output(report.json, "the account report");
        check_account_report(r, true);
        if (i == 0) first_report = report.json;
        // Same instant, explicit exclusive range: still consistent (not the default range).
        const credits::Answer ranged = account.report(at, credits::format_instant(ledger.opened_at_ns), at);
        FZ_CHECK(ranged.ok, "an explicit range [opening, T) is answered");
        check_account_report(parse_output(ranged.json, "the ranged report"), false);

        const credits::Answer forecast = account.forecast(at);
        FZ_CHECK(forecast.ok, "a forecast is answered");
        const OJson f = parse_output(forecast.json, "the forecast");
        check_amounts(f);
        FZ_CHECK(member_int(f, "balance_tokens") == member_int(r, "balance_tokens"), "forecast balance = report balance");
        if (member_int(r, "balance_tokens") <= 0) {
            // T rounded up to the second (null only in the last second before 2200).
            const std::int64_t up = (instants[i] + credits::nanos_per_second - 1) / credits::nanos_per_second *
                                    credits::nanos_per_second;
            FZ_CHECK(up >= credits::instant_end_ns ? f.at("runs_out_at").is_null()
                                                   : f.at("runs_out_at") == credits::format_instant(up),
                     "runs out now (T rounded up to the second) when nothing is left");
        }
        std::int64_t likely_unused = 0;
        for (const OJson& g : f.at("grants")) {
            FZ_CHECK(member_int(g, "likely_unused_tokens") <= member_int(g, "remaining_tokens"), "likely unused <= remaining");
            likely_unused += member_int(g, "likely_unused_tokens");
        }
        FZ_CHECK(member_int(f, "likely_unused_tokens") == likely_unused, "the likely-unused total adds up the grants");
        const OJson& replay = f.at("replay");
        FZ_CHECK(member_int(replay, "output_tokens") + member_int(replay, "input_cache_miss_tokens") ==
                     member_int(f, "window_charged_tokens"),
                 "the replay's output + cache-miss tokens are the window's charged tokens");
        FZ_CHECK(member_int(replay, "input_tokens") ==
                     member_int(replay, "input_cache_miss_tokens") + member_int(replay, "input_cache_hit_tokens"),
                 "the replay's input is its cache misses and hits");

        if (i + 1 == instants.size() || i == 1) {
            std::size_t checked = 0;
            for (const OJson& row : r.at("projects")) {
                if (++checked > 3) break;
                const credits::Answer project = account.project(row.at("id").get<std::string>(), at);
                FZ_CHECK(project.ok, "a listed project is answered");
                check_project_report(parse_output(project.json, "the project report"), row);
            }
        }
    }
    // The cached engine state must not leak between instants.
    const credits::Answer again = account.report(credits::format_instant(instants.front()));
    FZ_CHECK(again.ok && again.json == first_report, "the same question gives the same bytes");
    const credits::Answer unknown = account.project(std::string(300, 'x'), credits::format_instant(instants.front()));
    FZ_CHECK(!unknown.ok, "an unknown project is refused");
    check_errors(unknown.json);
}

// --- the targets' bodies ------------------------------------------------------------------------

inline void check_ledger_text(std::string_view text, const credits::Engine& engine = default_engine()) {
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine.load(text, &errors);
    const credits::Answer check = engine.check(text);
    FZ_CHECK(check.ok == account.has_value(), "check agrees with load");
    if (!account) {
        check_errors(errors);
        FZ_CHECK(check.json == errors, "check gives load's errors");
        return;
    }
    parse_output(check.json, "the check summary");
    check_account(*account);
}

// A small valid ledger for the rules and catalog targets (uses plan and pack ids when given).
inline std::string sample_ledger(const std::optional<std::string>& plan_id, const std::optional<std::string>& pack_id) {
    std::string events =
        R"({"id":"o","type":"account_opened","at":"2026-01-01T00:00:00Z"},)"
        R"({"id":"u1","type":"usage","at":"2026-01-02T00:00:00Z","project_id":"p","task_id":"t","session_id":"s",)"
        R"("service":"agent_chat","tokens":{"output":7000000,"input_cache_miss":9000000,"input_cache_hit":5}},)"
        R"({"id":"c1","type":"session_completed","at":"2026-01-03T00:00:00Z","project_id":"p","task_id":"t","session_id":"s"},)"
        R"({"id":"g1","type":"credits_granted","at":"2026-01-04T00:00:00Z","credits":"1.5","expires_at":"2026-02-01T00:00:00Z"})";
    if (plan_id) {
        events += R"(,{"id":"b1","type":"subscription_billed","at":"2026-01-05T00:00:00Z","outcome":"succeeded","plan":)" +
                  OJson(*plan_id).dump() + "}";
        events += R"(,{"id":"b2","type":"subscription_billed","at":"2026-02-05T00:00:00Z","outcome":"failed","plan":)" +
                  OJson(*plan_id).dump() + "}";
    }
    events += R"(,{"id":"k1","type":"credits_purchased","at":"2026-01-06T00:00:00Z","credits":3)";
    if (pack_id) events += R"(,"pack":)" + OJson(*pack_id).dump();
    events += "}";
    return R"({"format":"easycoda.ledger/1","account":{"id":"a"},"projects":[{"id":"p","name":"P"}],"events":[)" + events + "]}";
}

inline void check_quote_answer(const credits::Answer& answer, std::int64_t input_tokens_hint = -1) {
    if (!answer.ok) {
        check_errors(answer.json);
        return;
    }
    const OJson q = parse_output(answer.json, "the quote");
    FZ_CHECK(q.at("kind") == "quote", "quote kind");
    check_amounts(q);
    const std::int64_t hit = member_int(q, "input_cache_hit_tokens");
    const std::int64_t miss = member_int(q, "input_cache_miss_tokens");
    const std::int64_t needed = member_int(q, "needed_tokens");
    const OJson& input = q.at("input");
    FZ_CHECK(hit >= 0 && miss >= 0 && hit + miss == member_int(input, "input_tokens"), "hit + miss = input");
    if (input_tokens_hint >= 0) FZ_CHECK(member_int(input, "input_tokens") == input_tokens_hint, "input echoed");
    FZ_CHECK(needed == member_int(input, "output_tokens") + miss, "needed = output + miss");
    std::int64_t recommended_count = 0;
    const OJson* recommended = nullptr;
    for (const OJson& o : q.at("options")) {
        FZ_CHECK(member_int(o, "needed_tokens") == needed, "each option needs the same");
        const std::int64_t included = member_int(o, "included_tokens");
        const std::int64_t shortfall = member_int(o, "shortfall_tokens");
        const std::int64_t purchased = member_int(o, "purchased_tokens");
        FZ_CHECK(shortfall == std::max<std::int64_t>(0, needed - (o.at("option") == "packs" ? 0 : included)),
                 "shortfall = need beyond what is included");
        std::int64_t lines_purchased = 0, lines_cost = 0;
        for (const OJson& line : o.at("packs")) {
            FZ_CHECK(member_int(line, "count") > 0, "only packs bought are listed");
            FZ_CHECK(member_int(line, "purchased_tokens") == member_int(line, "count") * member_int(line, "credits_each_tokens"),
                     "a line's credits = count x credits each");
            FZ_CHECK(member_int(line, "cost_minor") == member_int(line, "count") * member_int(line, "price_each_minor"),
                     "a line's cost = count x price each");
            lines_purchased += member_int(line, "purchased_tokens");
            lines_cost += member_int(line, "cost_minor");
        }
        FZ_CHECK(purchased == lines_purchased, "purchased = the lines' credits");
        FZ_CHECK(member_int(o, "packs_cost_minor") == lines_cost, "packs cost = the lines' cost");
        if (!o.at("packs").empty()) FZ_CHECK(purchased >= shortfall, "the packs cover the shortfall");
        if (o.at("covers_month") == true) {
            const std::int64_t available = o.at("option") == "packs" ? purchased
                                           : o.at("option") == "free" ? included
                                                                      : included + purchased;
            FZ_CHECK(available >= needed, "a covering option covers the need");
        }
        FZ_CHECK(member_int(o, "monthly_cost_minor") >= 0, "cost is not negative");
        if (o.at("recommended") == true) {
            ++recommended_count;
            recommended = &o;
            FZ_CHECK(o.at("covers_month") == true, "the recommendation covers the month");
        }
    }
    FZ_CHECK(recommended_count <= 1, "at most one recommendation");
    FZ_CHECK(q.at("recommended").is_null() == (recommended == nullptr), "recommended key matches the flag");
    if (recommended != nullptr) {
        FZ_CHECK(q.at("recommended") == recommended->at("key"), "recommended key");
        for (const OJson& o : q.at("options"))
            if (o.at("covers_month") == true)
                FZ_CHECK(member_int(*recommended, "monthly_cost_minor") <= member_int(o, "monthly_cost_minor"),
                         "the recommendation is the cheapest covering option");
    }
}

inline void check_quote_text(std::string_view text, const credits::Engine& engine = default_engine()) {
    const credits::Answer first = engine.quote(text);
    const credits::Answer second = engine.quote(text);
    FZ_CHECK(first.ok == second.ok && first.json == second.json, "a quote is a pure function");
    check_quote_answer(first);
}

// A loaded engine: its catalog, a few quotes and a small ledger through a report.
inline void check_engine(const credits::Engine& engine) {
    const OJson catalog = parse_output(engine.catalog_json(), "the catalog answer");
    check_amounts(catalog);
    std::optional<std::string> plan_id;
    std::optional<std::string> pack_id;
    if (!engine.catalog().plans.empty()) plan_id = engine.catalog().plans.front().id;
    if (!engine.catalog().packs.empty()) pack_id = engine.catalog().packs.back().id;
    for (const char* quote : {R"({"output_tokens":0,"input_tokens":0,"cache_hit_rate_bp":0})",
                              R"({"output_tokens":123456789,"input_tokens":987654321,"cache_hit_rate_bp":5000})",
                              R"({"output_tokens":9007199254740991,"input_tokens":0,"cache_hit_rate_bp":10000})"}) {
        check_quote_answer(engine.quote(quote));
    }
    if (plan_id) {
        const std::string quote =
            R"({"output_tokens":50000000,"input_tokens":70000000,"cache_hit_rate_bp":2500,"plan":)" + OJson(*plan_id).dump() + "}";
        check_quote_answer(engine.quote(quote));
    }
    const std::string ledger = sample_ledger(plan_id, std::nullopt);
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine.load(ledger, &errors);
    if (!account) {
        // Only a signup or plan amount near 2^53 - 1 can push the document's sum out of range.
        check_errors(errors);
        const OJson rejection = parse_output(errors, "errors");  // outlives the loop (a temporary's member would not)
        for (const OJson& e : rejection["errors"])
            FZ_CHECK(e["code"] == "amount_out_of_range", "the sample ledger loads with any valid rule set and catalog: " + errors.substr(0, 300));
        return;
    }
    check_account(*account);
    // A pack id is free text in a purchase, never checked against the catalog; ids over
    // 256 bytes are refused, so only use short ones.
    if (pack_id && pack_id->size() <= 256) {
        std::optional<credits::LoadedLedger> with_pack = engine.load(sample_ledger(plan_id, pack_id), &errors);
        FZ_CHECK(with_pack.has_value(), "the sample ledger with a pack loads");
    }
}

inline void check_rules_text(std::string_view text) {
    std::string errors;
    const std::optional<credits::Engine> engine = credits::Engine::create(text, credits::default_catalog_json, &errors);
    if (!engine) {
        check_errors(errors, "/rules");
        return;
    }
    FZ_CHECK(engine->rules().tokens_per_credit == credits::tokens_per_credit, "tokens_per_credit");
    FZ_CHECK(credits::amount_in_range(engine->rules().signup_tokens), "signup amount in range");
    check_engine(*engine);
}

inline void check_catalog_text(std::string_view text) {
    std::string errors;
    const std::optional<credits::Engine> engine = credits::Engine::create(credits::default_rules_json, text, &errors);
    if (!engine) {
        check_errors(errors, "/catalog");
        return;
    }
    for (const credits::Plan& plan : engine->catalog().plans)
        FZ_CHECK(plan.monthly_tokens > 0 && credits::amount_in_range(plan.monthly_price_minor), "plan amounts");
    for (const credits::Pack& pack : engine->catalog().packs)
        FZ_CHECK(pack.credits_tokens > 0 && credits::amount_in_range(pack.price_minor), "pack amounts");
    check_engine(*engine);
}

// First byte picks the format (mod 5); the rest is the `usage` object's text.
// The object is normalized directly and, embedded in a ledger, through a report:
// both must agree on what is charged and what is a cache hit.
inline void check_provider_usage_bytes(std::string_view data) {
    if (data.empty()) return;
    const std::string_view format = credits::provider_formats[static_cast<unsigned char>(data[0]) % 5];
    const std::string_view text = data.substr(1);

    credits::ErrorList errors;
    credits::Json usage;
    std::optional<credits::TokenCounts> counts;
    if (credits::parse_json_document(text, credits::ParseLimits{}, usage, errors)) {
        counts = credits::normalize_provider_usage(format, usage, "/usage", "e", errors);
        FZ_CHECK(counts.has_value() == errors.empty(), "counts exactly when there is no error");
        if (counts) {
            FZ_CHECK(credits::amount_in_range(counts->output_tokens) && credits::amount_in_range(counts->input_cache_miss_tokens) &&
                         credits::amount_in_range(counts->input_cache_hit_tokens),
                     "normalized counts are in range");
        }
    }

    const std::string ledger =
        std::string(R"({"format":"easycoda.ledger/1","account":{"id":"a"},"projects":[{"id":"p","name":"P"}],"events":[)"
                    R"({"id":"o","type":"account_opened","at":"2026-01-01T00:00:00Z"},)"
                    R"({"id":"u","type":"usage","at":"2026-01-02T00:00:00Z","project_id":"p","task_id":"t","session_id":"s",)"
                    R"("service":"agent_chat","provider_usage":{"format":")") +
        std::string(format) + R"(","usage":)" + std::string(text) +
        R"(}},{"id":"c","type":"session_completed","at":"2026-01-03T00:00:00Z","project_id":"p","task_id":"t","session_id":"s"}]})";
    std::string ledger_errors;
    std::optional<credits::LoadedLedger> account = default_engine().load(ledger, &ledger_errors);
    if (!account) {
        check_errors(ledger_errors);
        if (counts) {
            const OJson e = parse_output(ledger_errors, "errors");
            const std::string first = e["errors"][0]["code"].get<std::string>();
            FZ_CHECK(first == "nesting_too_deep" || first == "amount_out_of_range",
                     "a usage object that normalizes loads in a ledger too, found " + first);
        }
        return;
    }
    const credits::Answer report = account->report("2026-01-04T00:00:00Z");
    FZ_CHECK(report.ok, "report");
    const OJson r = parse_output(report.json, "the report");
    check_account_report(r, true);
    if (counts) {
        const Six six = figures(r.at("usage"));
        FZ_CHECK(six[0] == counts->output_tokens + counts->input_cache_miss_tokens, "charged = output + miss");
        FZ_CHECK(six[1] == counts->input_cache_hit_tokens, "cache hits");
    }
}

// --- questions: the query strings of report, project and forecast ---------------------------------

// A small account every query target asks about (project "p", opened 2026-01-01).
inline credits::LoadedLedger& query_account() {
    static credits::LoadedLedger account = [] {
        std::string errors;
        std::optional<credits::LoadedLedger> loaded = default_engine().load(sample_ledger(std::nullopt, std::nullopt), &errors);
        FZ_CHECK(loaded.has_value(), "the sample ledger loads: " + errors);
        return std::move(*loaded);
    }();
    return account;
}

// The first byte picks the question (mod 4: report, report in parts, project, forecast); the
// rest is at, from, to, utc_offset and the project id, split at '\n' (missing ones are empty).
// Whatever the bytes: the answer is strict UTF-8 JSON, a rejection quotes a bounded excerpt
// of the input, and it is answered exactly when every parameter is valid.
inline void check_query_bytes(std::string_view data) {
    if (data.empty()) return;
    const unsigned mode = static_cast<unsigned char>(data[0]) % 4;
    std::array<std::string_view, 5> field{};
    std::string_view rest = data.substr(1);
    for (std::size_t i = 0; i < field.size(); ++i) {
        const std::size_t cut = i + 1 < field.size() ? rest.find('\n') : std::string_view::npos;
        field[i] = rest.substr(0, cut);
        if (cut == std::string_view::npos) break;
        rest = rest.substr(cut + 1);
    }
    const auto [at, from, to, offset, project] = field;

    // What the answer must be, from the parts' own readers and the spec's range rules: `from` and
    // `to` are instants, or dates (a whole local day in the question's offset: `from` its first
    // instant, `to` the next day's first instant cut at `at`), or `from` is "last_30_days" (the
    // forecast's window, not before the account's opening on 2026-01-01 in the +00:00 sample).
    const std::optional<credits::Instant> at_i = credits::parse_instant(at);
    const std::optional<int> offset_minutes = offset.empty() ? std::optional(0) : credits::parse_utc_offset(offset);
    const auto date_day = [](std::string_view text) -> std::optional<std::int64_t> {
        if (text.size() != 10) return std::nullopt;
        const std::optional<credits::Instant> midnight = credits::parse_instant(std::string(text) + "T00:00:00Z");
        if (!midnight) return std::nullopt;
        return midnight->ns / credits::nanos_per_day;
    };
    const std::int64_t opened_ns = credits::parse_instant("2026-01-01T00:00:00Z")->ns;
    const std::int64_t offset_ns = std::int64_t{offset_minutes.value_or(0)} * 60 * credits::nanos_per_second;
    const auto day_start_ns = [&](std::int64_t day) { return day * credits::nanos_per_day - offset_ns; };
    const std::optional<std::int64_t> from_day = date_day(from);
    const std::optional<std::int64_t> to_day = date_day(to);
    std::optional<std::int64_t> from_ns = opened_ns;
    if (from == "last_30_days") {
        from_ns = at_i ? std::optional(std::min(std::max(at_i->ns - credits::forecast_window_ns + 1, opened_ns), at_i->ns))
                       : std::nullopt;
    } else if (from_day) {
        from_ns = day_start_ns(*from_day);
    } else if (!from.empty()) {
        const std::optional<credits::Instant> i = credits::parse_instant(from);
        from_ns = i ? std::optional(i->ns) : std::nullopt;
    }
    std::optional<std::int64_t> to_ns = at_i ? std::optional(at_i->ns) : std::nullopt;
    if (to_day) {
        to_ns = at_i ? std::optional(std::min(day_start_ns(*to_day + 1), at_i->ns)) : std::nullopt;
    } else if (!to.empty()) {
        const std::optional<credits::Instant> i = credits::parse_instant(to);
        to_ns = i ? std::optional(i->ns) : std::nullopt;
    }
    const bool forecast = mode == 3;
    bool valid = !at.empty() && at_i.has_value();
    if (!forecast) {
        valid = valid && from_ns && to_ns && offset_minutes;
        if (valid) {
            const bool days_reversed = from_day && to_day && *to_day < *from_day;
            valid = *to_ns <= at_i->ns && (from.empty() || *from_ns <= *to_ns) && !days_reversed;
        }
        if (mode == 2) valid = valid && project == "p";
    }

    credits::LoadedLedger& account = query_account();
    credits::Answer answer;
    if (mode == 0) answer = account.report(at, from, to, offset);
    if (mode == 1) {
        // The parts joined as the JS layer joins them are the whole report, byte for byte.
        const credits::LoadedLedger::ReportParts parts = account.report_parts(at, from, to, offset);
        answer = parts.rest;
        if (answer.ok) {
            FZ_CHECK(parts.grants_offset <= parts.entries_offset && parts.entries_offset <= answer.json.size(),
                     "the grants[] and ledger[] offsets are inside the report, in that order");
            answer.json.insert(parts.entries_offset, parts.entries);
            answer.json.insert(parts.grants_offset, parts.grants);
            FZ_CHECK(answer.json == account.report(at, from, to, offset).json, "parts = the report");
        }
    }
    if (mode == 2) answer = account.project(project, at, from, to, offset);
    if (mode == 3) answer = account.forecast(at);
    FZ_CHECK(answer.ok == valid, "answered exactly when every parameter is valid: " + answer.json.substr(0, 300));
    if (!answer.ok) {
        check_errors(answer.json);
        const OJson rejection = parse_output(answer.json, "errors");  // outlives the loop
        for (const OJson& e : rejection["errors"]) {
            const std::string code = e["code"].get<std::string>();
            const std::string pointer = e["pointer"].get<std::string>();
            FZ_CHECK(code == "invalid_query" || (code == "unknown_project" && pointer == "/project_id"), "code " + code);
            FZ_CHECK(pointer == "/at" || pointer == "/from" || pointer == "/to" || pointer == "/utc_offset" ||
                         pointer == "/project_id",
                     "pointer " + pointer);
            // A message quotes at most 100 bytes of each of at most two inputs.
            FZ_CHECK(e["message"].get<std::string>().size() <= 500, "a bounded message");
        }
        return;
    }
    const OJson r = parse_output(answer.json, "the answer");
    check_amounts(r);
    if (!forecast) {
        FZ_CHECK(r.at("from") == credits::format_instant(*from_ns), "the range starts where the rules say");
        FZ_CHECK(r.at("to") == credits::format_instant(*to_ns), "the range ends where the rules say");
    }
    if (mode == 0) check_account_report(r, from.empty() && to.empty());
    if (mode == 1) FZ_CHECK(r.at("kind") == "account", "the report in parts");
    if (mode == 2) FZ_CHECK(r.at("kind") == "project", "project report");
}

}  // namespace credits_fuzz
