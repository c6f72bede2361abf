// Shared helpers for the spec-section tests: small ledgers written as JSON in
// the test itself, a test rule set and catalog with small numbers, and the
// checks every report must pass (spec §13/§14: conservation, tokens and
// credits that agree, figures that add up).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "credits/amount.h"
#include "credits/api.h"

namespace fixtures {

using nlohmann::json;

// ---------------------------------------------------------------------------
// Rule sets and catalogs
// ---------------------------------------------------------------------------

// Small numbers so burn-down is easy to work by hand:
// signup = 100 tokens, standard = 1,000 tokens a month, premium = 3,000 tokens.
inline constexpr std::string_view small_rules_json =
    R"({"format":"easycoda.rules/1","tokens_per_credit":10000,"signup_credits":"0.01"})";
inline constexpr std::string_view small_catalog_json = R"({
  "format": "easycoda.catalog/1", "currency": "USD",
  "plans": [
    {"id": "standard", "name": "Standard", "monthly_credits": "0.1", "monthly_price_minor": 2000},
    {"id": "premium", "name": "Premium", "monthly_credits": "0.3", "monthly_price_minor": 5000}
  ],
  "packs": [{"id": "pack_small", "credits": "0.05", "price_minor": 100}]
})";

inline credits::Engine make_engine(std::string_view rules, std::string_view catalog) {
    std::string errors;
    std::optional<credits::Engine> engine = credits::Engine::create(rules, catalog, &errors);
    INFO(errors);
    REQUIRE(engine.has_value());
    return std::move(*engine);
}

inline const credits::Engine& small_engine() {
    static const credits::Engine engine = make_engine(small_rules_json, small_catalog_json);
    return engine;
}

inline const credits::Engine& default_engine() {
    static const credits::Engine engine = credits::Engine::with_defaults();
    return engine;
}

// ---------------------------------------------------------------------------
// Events (spec §10), built as JSON values
// ---------------------------------------------------------------------------

struct Tokens {
    std::int64_t output = 0;
    std::int64_t miss = 0;  // input_cache_miss
    std::int64_t hit = 0;   // input_cache_hit
};

inline json tokens_json(const Tokens& t) {
    return json{{"output", t.output}, {"input_cache_miss", t.miss}, {"input_cache_hit", t.hit}};
}

inline json opened(std::string id, std::string at) {
    return json{{"id", std::move(id)}, {"type", "account_opened"}, {"at", std::move(at)}};
}

inline json purchased(std::string id, std::string at, json credits) {
    return json{{"id", std::move(id)}, {"type", "credits_purchased"}, {"at", std::move(at)}, {"credits", std::move(credits)}};
}

inline json granted(std::string id, std::string at, json credits, std::optional<std::string> expires_at = std::nullopt) {
    json e{{"id", std::move(id)}, {"type", "credits_granted"}, {"at", std::move(at)}, {"credits", std::move(credits)}};
    if (expires_at) e["expires_at"] = *expires_at;
    return e;
}

// A subscription billing; optional members are added by the caller (e["period_end"] = ...).
inline json billed(std::string id, std::string at, std::string plan = "standard", std::string outcome = "succeeded") {
    return json{{"id", std::move(id)},     {"type", "subscription_billed"}, {"at", std::move(at)},
                {"plan", std::move(plan)}, {"outcome", std::move(outcome)}};
}

inline json billed_until(std::string id, std::string at, std::string period_end, std::string plan = "standard") {
    json e = billed(std::move(id), std::move(at), std::move(plan));
    e["period_end"] = std::move(period_end);
    return e;
}

inline json chat(std::string id, std::string at, std::string task, std::string session, const Tokens& t,
                 std::string project = "p1") {
    return json{{"id", std::move(id)},         {"type", "usage"},         {"at", std::move(at)},
                {"project_id", std::move(project)}, {"task_id", std::move(task)}, {"session_id", std::move(session)},
                {"service", "agent_chat"},     {"tokens", tokens_json(t)}};
}

inline json summarization(std::string id, std::string at, std::string task, std::string session, const Tokens& t,
                          std::string project = "p1") {
    json e = chat(std::move(id), std::move(at), std::move(task), std::move(session), t, std::move(project));
    e["service"] = "summarization";
    return e;
}

// A record of another service (build, deploy, hosting): only project_id.
inline json service(std::string id, std::string at, std::string service_name, const Tokens& t,
                    std::string project = "p1") {
    return json{{"id", std::move(id)},      {"type", "usage"},   {"at", std::move(at)}, {"project_id", std::move(project)},
                {"service", std::move(service_name)}, {"tokens", tokens_json(t)}};
}

inline json completed(std::string id, std::string at, std::string task, std::string session,
                      std::string project = "p1") {
    return json{{"id", std::move(id)},         {"type", "session_completed"}, {"at", std::move(at)},
                {"project_id", std::move(project)}, {"task_id", std::move(task)},   {"session_id", std::move(session)}};
}

inline json cancelled(std::string id, std::string at, std::string task, std::string project = "p1") {
    return json{{"id", std::move(id)}, {"type", "task_cancelled"}, {"at", std::move(at)},
                {"project_id", std::move(project)}, {"task_id", std::move(task)}};
}

inline json default_projects() {
    return json::array({json{{"id", "p1"}, {"name", "Project one"}}, json{{"id", "p2"}, {"name", "Project two"}}});
}

// {"format":"easycoda.ledger/1","account":{...},"projects":[...],"events":[...]}, with
// each event given as JSON text exactly as written (member order kept).
inline std::string ledger_text_raw(const std::vector<std::string>& events, const json& account = json{{"id", "acct_1"}},
                                   const json& projects = default_projects()) {
    std::string text = R"({"format":"easycoda.ledger/1","account":)" + account.dump() + R"(,"projects":)" +
                       projects.dump() + R"(,"events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i > 0) text += ',';
        text += events[i];
    }
    return text + "]}";
}

inline std::string ledger_text(const std::vector<json>& events, const json& account = json{{"id", "acct_1"}},
                               const json& projects = default_projects()) {
    std::vector<std::string> raw;
    raw.reserve(events.size());
    for (const json& e : events) raw.push_back(e.dump());
    return ledger_text_raw(raw, account, projects);
}

// Every token of every usage record in `events` (spec §2: each lands in one category).
inline std::int64_t record_tokens_total(const std::vector<json>& events) {
    std::int64_t total = 0;
    for (const json& e : events) {
        if (e.at("type") != "usage") continue;
        for (const auto& [name, count] : e.at("tokens").items()) total += count.get<std::int64_t>();
    }
    return total;
}

// ---------------------------------------------------------------------------
// Loading and rejecting
// ---------------------------------------------------------------------------

inline credits::LoadedLedger load(const std::string& text, const credits::Engine& engine = small_engine()) {
    std::string errors;
    std::optional<credits::LoadedLedger> account = engine.load(text, &errors);
    INFO(errors);
    REQUIRE(account.has_value());
    return std::move(*account);
}

// The {"errors": [...]} array of a rejected document.
inline json rejection(const std::string& text, const credits::Engine& engine = small_engine()) {
    std::string errors;
    const std::optional<credits::LoadedLedger> account = engine.load(text, &errors);
    REQUIRE_FALSE(account.has_value());
    const json parsed = json::parse(errors);
    REQUIRE(parsed.contains("errors"));
    REQUIRE_FALSE(parsed["errors"].empty());
    for (const json& e : parsed["errors"]) {
        CHECK(e["code"].is_string());
        CHECK(e["pointer"].is_string());
        CHECK_FALSE(e["message"].get<std::string>().empty());
    }
    return parsed["errors"];
}

inline std::vector<std::string> rejection_codes(const std::string& text, const credits::Engine& engine = small_engine()) {
    std::vector<std::string> codes;
    for (const json& e : rejection(text, engine)) codes.push_back(e["code"].get<std::string>());
    return codes;
}

inline bool has_error(const json& errors, std::string_view code, const std::optional<std::string>& event_id = std::nullopt) {
    for (const json& e : errors) {
        if (e["code"] != code) continue;
        if (!event_id || e["event_id"] == *event_id) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------
// Report checks (spec §13, §14; docs/report-format.md)
// ---------------------------------------------------------------------------

// Every "X_tokens" integer is followed by "X_credits" == format_credits(X), and
// every "tokens" by "credits", at any depth. Returns the paths that break it.
inline void collect_amount_mismatches(const json& value, const std::string& path, std::vector<std::string>& out) {
    if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i)
            collect_amount_mismatches(value[i], path + "/" + std::to_string(i), out);
        return;
    }
    if (!value.is_object()) return;
    for (const auto& [key, member] : value.items()) {
        const std::string here = path + "/" + key;
        std::string credits_key;
        if (key == "tokens") {
            credits_key = "credits";
        } else if (key.size() > 7 && key.compare(key.size() - 7, 7, "_tokens") == 0) {
            credits_key = key.substr(0, key.size() - 7) + "_credits";
        }
        if (!credits_key.empty()) {
            if (!member.is_number_integer()) {
                out.push_back(here + " is not an integer");
            } else if (!value.contains(credits_key)) {
                out.push_back(here + " has no " + credits_key);
            } else if (value[credits_key] != credits::format_credits(member.get<std::int64_t>())) {
                out.push_back(here + ": " + value[credits_key].dump() + " != " +
                              credits::format_credits(member.get<std::int64_t>()));
            }
        }
        collect_amount_mismatches(member, here, out);
    }
}

inline void check_amounts_agree(const json& report) {
    std::vector<std::string> mismatches;
    collect_amount_mismatches(report, "", mismatches);
    INFO(json(mismatches).dump(1));
    CHECK(mismatches.empty());
}

inline std::int64_t tokens(const json& value) { return value.get<std::int64_t>(); }

// A Figures object: free is the sum of its five categories, total = charged + free.
inline void check_figures(const json& f) {
    const json& free = f.at("free");
    const std::int64_t free_sum = tokens(free.at("cache_hit_tokens")) + tokens(free.at("summarization_tokens")) +
                                  tokens(free.at("other_service_tokens")) + tokens(free.at("cancelled_tokens")) +
                                  tokens(free.at("pending_tokens"));
    CHECK(tokens(f.at("free_tokens")) == free_sum);
    CHECK(tokens(f.at("total_tokens")) == tokens(f.at("charged_tokens")) + free_sum);
}

// Field-by-field sum of Figures objects.
inline json figures_sum(const std::vector<json>& rows) {
    json sum{{"charged_tokens", 0}, {"free_tokens", 0}, {"total_tokens", 0}, {"free", json::object()}};
    for (const char* k : {"cache_hit_tokens", "summarization_tokens", "other_service_tokens", "cancelled_tokens", "pending_tokens"})
        sum["free"][k] = 0;
    for (const json& r : rows) {
        for (const char* k : {"charged_tokens", "free_tokens", "total_tokens"}) sum[k] = tokens(sum[k]) + tokens(r.at(k));
        for (auto& [k, v] : sum["free"].items()) v = tokens(v) + tokens(r.at("free").at(k));
    }
    return sum;
}

// Only the _tokens members of a Figures object, for comparing figures.
inline json figure_tokens(const json& f) {
    json out{{"charged_tokens", f.at("charged_tokens")}, {"free_tokens", f.at("free_tokens")},
             {"total_tokens", f.at("total_tokens")}, {"free", json::object()}};
    for (const char* k : {"cache_hit_tokens", "summarization_tokens", "other_service_tokens", "cancelled_tokens", "pending_tokens"})
        out["free"][k] = f.at("free").at(k);
    return out;
}

// Everything §13/§14 says must hold in an account report.
inline void check_account_report(const json& r) {
    REQUIRE(r.at("format") == "easycoda.report/1");
    REQUIRE(r.at("kind") == "account");
    check_amounts_agree(r);
    std::int64_t used = 0;
    std::int64_t active_remaining = 0;
    for (const json& g : r.at("grants")) {
        INFO("grant " << g.at("id"));
        CHECK(tokens(g.at("granted_tokens")) ==
              tokens(g.at("used_tokens")) + tokens(g.at("expired_tokens")) + tokens(g.at("remaining_tokens")));
        CHECK(tokens(g.at("used_tokens")) >= 0);
        CHECK(tokens(g.at("expired_tokens")) >= 0);
        CHECK(tokens(g.at("remaining_tokens")) >= 0);
        if (!g.at("active").get<bool>()) CHECK(tokens(g.at("remaining_tokens")) == 0);
        used += tokens(g.at("used_tokens"));
        active_remaining += tokens(g.at("remaining_tokens"));
    }
    const std::int64_t overdraft = tokens(r.at("overdraft_tokens"));
    CHECK(overdraft >= 0);
    CHECK(used + overdraft == tokens(r.at("lifetime_charged_tokens")));
    CHECK(tokens(r.at("balance_tokens")) == active_remaining - overdraft);
    CHECK(r.at("can_start_agent_chat").get<bool>() == (tokens(r.at("balance_tokens")) > 0));
    std::int64_t by_source = 0;
    for (const auto& [source, v] : r.at("balance_by_source").items()) by_source += tokens(v.at("remaining_tokens"));
    CHECK(by_source == active_remaining);
    // The ledger explains the balance: its last entry leaves exactly the balance,
    // and its charges add up to every token charged.
    std::int64_t charged = 0;
    for (const json& entry : r.at("ledger")) {
        if (entry.at("kind") == "charge") {
            charged += tokens(entry.at("charged_tokens"));
            std::int64_t allocated = 0;
            for (const json& a : entry.at("allocations")) allocated += tokens(a.at("tokens"));
            CHECK(allocated + tokens(entry.at("overdraft_tokens")) == tokens(entry.at("charged_tokens")));
        }
    }
    CHECK(charged == tokens(r.at("lifetime_charged_tokens")));
    if (!r.at("ledger").empty()) CHECK(tokens(r.at("ledger").back().at("balance_tokens")) == tokens(r.at("balance_tokens")));
    // Every token of the range lands in exactly one category.
    check_figures(r.at("usage"));
    std::vector<json> projects(r.at("projects").begin(), r.at("projects").end());
    std::vector<json> days(r.at("daily").begin(), r.at("daily").end());
    for (const json& p : projects) check_figures(p);
    for (const json& d : days) {
        check_figures(d);
        CHECK(tokens(d.at("total_tokens")) > 0);
    }
    CHECK(figure_tokens(figures_sum(projects)) == figure_tokens(r.at("usage")));
    CHECK(figure_tokens(figures_sum(days)) == figure_tokens(r.at("usage")));
    // With the default range every charged record is in it.
    json opened_at;
    for (const json& g : r.at("grants"))
        if (g.at("source") == "signup") opened_at = g.at("granted_at");
    if (r.at("to_inclusive").get<bool>() && r.at("from") == opened_at)
        CHECK(tokens(r.at("usage").at("charged_tokens")) == tokens(r.at("lifetime_charged_tokens")));
}

inline void check_project_report(const json& r) {
    REQUIRE(r.at("format") == "easycoda.report/1");
    REQUIRE(r.at("kind") == "project");
    check_amounts_agree(r);
    check_figures(r.at("usage"));
    std::vector<json> parts{r.at("untasked")};
    for (const json& t : r.at("tasks")) {
        check_figures(t);
        parts.push_back(t);
        for (const json& s : t.at("sessions")) check_figures(s);
    }
    CHECK(figure_tokens(figures_sum(parts)) == figure_tokens(r.at("usage")));
    std::vector<json> days(r.at("daily").begin(), r.at("daily").end());
    CHECK(figure_tokens(figures_sum(days)) == figure_tokens(r.at("usage")));
}

inline json account_report(credits::LoadedLedger& account, std::string_view at, std::string_view from = {},
                           std::string_view to = {}) {
    const credits::Answer answer = account.report(at, from, to);
    INFO(answer.json);
    REQUIRE(answer.ok);
    json r = json::parse(answer.json);
    check_account_report(r);
    return r;
}

inline json report_of(const std::string& ledger, std::string_view at, const credits::Engine& engine = small_engine()) {
    credits::LoadedLedger account = load(ledger, engine);
    return account_report(account, at);
}

inline json project_report(credits::LoadedLedger& account, std::string_view project, std::string_view at,
                           std::string_view from = {}, std::string_view to = {}) {
    const credits::Answer answer = account.project(project, at, from, to);
    INFO(answer.json);
    REQUIRE(answer.ok);
    json r = json::parse(answer.json);
    check_project_report(r);
    return r;
}

inline json forecast(credits::LoadedLedger& account, std::string_view at) {
    const credits::Answer answer = account.forecast(at);
    INFO(answer.json);
    REQUIRE(answer.ok);
    json r = json::parse(answer.json);
    REQUIRE(r.at("kind") == "forecast");
    check_amounts_agree(r);
    return r;
}

// The grant row with this id, or null.
inline json grant(const json& report, std::string_view id) {
    for (const json& g : report.at("grants"))
        if (g.at("id") == id) return g;
    FAIL("no grant " << id);
    return nullptr;
}

inline json project_row(const json& report, std::string_view id) {
    for (const json& p : report.at("projects"))
        if (p.at("id") == id) return p;
    FAIL("no project " << id);
    return nullptr;
}

// The ledger entries of one kind, in order.
inline std::vector<json> entries(const json& report, std::string_view kind) {
    std::vector<json> out;
    for (const json& e : report.at("ledger"))
        if (e.at("kind") == kind) out.push_back(e);
    return out;
}

// [(grant_id, tokens), ...] of a charge entry.
inline std::vector<std::pair<std::string, std::int64_t>> allocations(const json& charge) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const json& a : charge.at("allocations")) out.emplace_back(a.at("grant_id").get<std::string>(), tokens(a.at("tokens")));
    return out;
}

using Allocations = std::vector<std::pair<std::string, std::int64_t>>;

}  // namespace fixtures
