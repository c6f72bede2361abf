// Reading a checkpointed document (docs/checkpoint-format.md): the
// `checkpoint` member becomes Ledger::checkpoint and the ledger's records,
// exactly; every rule of "Strict, like every input" rejects with its code and
// pointer and a message naming the figures; both readers give the same
// ledger, and a checkpointed document of plain events stays on the fast path.
// Report figures are the engine's (burn-down from the checkpoint), not tested here.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "credits/api.h"
#include "credits/instant.h"
#include "credits/ledger.h"
#include "ledger/builder.h"  // read_ledger_fast: which reader took the document

namespace {

using nlohmann::json;

// Written by hand, like the example of docs/checkpoint-format.md, with one of
// everything: an expired promotion, a live plan grant (expiring after S), a
// failed billing, a cancelled task, two open sessions (one over two days), a
// completed session that a later event names, usage rows of two projects.
// Offset +08:00: 2026-09-12T09:30:00Z is 17:30 on the 12th locally.
const char* const base_text = R"({
 "format": "easycoda.ledger/1",
 "account": {"id": "acct_7", "utc_offset": "+08:00"},
 "projects": [{"id": "p1", "name": "Shop backend"}, {"id": "p2", "name": "Docs site"}],
 "checkpoint": {
  "format": "easycoda.checkpoint/1", "at": "2026-10-01T00:00:00Z", "opened_at": "2026-09-01T08:00:00Z",
  "events": 12, "duplicates_ignored": 2, "charged_tokens": 4200, "overdraft_tokens": 0,
  "grants": [
   {"id": "e1", "source": "signup", "granted_at": "2026-09-01T08:00:00Z", "expires_at": null,
    "granted_tokens": 5000000, "used_tokens": 0, "expired_tokens": 0, "remaining_tokens": 5000000},
   {"id": "e2", "source": "promotion", "granted_at": "2026-09-05T00:00:00Z", "expires_at": "2026-09-20T00:00:00Z",
    "granted_tokens": 1000, "used_tokens": 1000, "expired_tokens": 0, "remaining_tokens": 0, "reason": "goodwill"},
   {"id": "e3", "source": "plan", "granted_at": "2026-09-10T00:00:00Z", "expires_at": "2026-10-10T00:00:00Z",
    "granted_tokens": 20000000, "used_tokens": 3200, "expired_tokens": 0, "remaining_tokens": 19996800,
    "plan": "standard", "period_start": "2026-09-10T00:00:00Z", "period_end": "2026-10-10T00:00:00Z"},
   {"id": "e4", "source": "promotion", "granted_at": "2026-09-15T00:00:00Z", "expires_at": "2026-09-25T00:00:00Z",
    "granted_tokens": 500, "used_tokens": 0, "expired_tokens": 500, "remaining_tokens": 0, "reason": null}
  ],
  "failed_billings": [{"id": "f1", "at": "2026-09-08T00:00:00Z", "plan": "premium",
                       "period_start": "2026-09-08T00:00:00Z", "period_end": "2026-10-08T00:00:00Z"}],
  "cancelled_tasks": [{"project_id": "p1", "task_id": "t2", "cancelled_at": "2026-09-12T10:00:00Z", "event_id": "e8",
                       "reason": "stopped"}],
  "open_sessions": [
   {"project_id": "p1", "task_id": "t3", "session_id": "s1", "output_tokens": 100, "input_cache_miss_tokens": 50,
    "input_cache_hit_tokens": 900, "days": [{"at": "2026-09-30T01:00:00Z", "tokens": 150}]},
   {"project_id": "p2", "task_id": "t5", "session_id": "s9", "output_tokens": 25, "input_cache_miss_tokens": 5,
    "input_cache_hit_tokens": 0, "days": [{"at": "2026-09-28T02:00:00Z", "tokens": 10}, {"at": "2026-09-29T03:00:00Z", "tokens": 20}]}
  ],
  "completed_sessions": [
   {"project_id": "p1", "task_id": "t1", "session_id": "s1", "completed_at": "2026-09-12T09:40:00Z", "event_id": "c1",
    "output_tokens": 1200, "input_cache_miss_tokens": 3000, "charged_tokens": 4200, "overdraft_tokens": 0,
    "balance_tokens": 24996800, "allocations": [{"grant_id": "e2", "tokens": 1000}, {"grant_id": "e3", "tokens": 3200}]}
  ],
  "recent_completions": [{"at": "2026-09-12T09:40:00Z", "output_tokens": 1200, "input_cache_miss_tokens": 3000,
                          "input_cache_hit_tokens": 45000}],
  "usage": [
   {"at": "2026-09-12T09:30:00Z", "project_id": "p1", "charged_tokens": 4200, "cache_hit_tokens": 45000,
    "summarization_tokens": 9300, "other_service_tokens": 0, "cancelled_tokens": 77},
   {"at": "2026-09-12T09:35:00Z", "project_id": "p2", "charged_tokens": 0, "cache_hit_tokens": 0,
    "summarization_tokens": 0, "other_service_tokens": 300, "cancelled_tokens": 0},
   {"at": "2026-09-30T01:00:00Z", "project_id": "p1", "charged_tokens": 0, "cache_hit_tokens": 900,
    "summarization_tokens": 0, "other_service_tokens": 0, "cancelled_tokens": 0}
  ]
 },
 "events": [
  {"id": "e20", "type": "usage", "at": "2026-10-01T00:00:00Z", "project_id": "p1", "task_id": "t3", "session_id": "s1",
   "service": "agent_chat", "tokens": {"output": 10, "input_cache_miss": 5, "input_cache_hit": 1}},
  {"id": "e21", "type": "session_completed", "at": "2026-10-02T00:00:00Z", "project_id": "p1", "task_id": "t3", "session_id": "s1"},
  {"id": "e22", "type": "usage", "at": "2026-10-02T01:00:00Z", "project_id": "p1", "task_id": "t2", "session_id": "s7",
   "service": "agent_chat", "tokens": {"output": 7}},
  {"id": "e23", "type": "credits_purchased", "at": "2026-10-03T00:00:00Z", "credits": 1000, "pack": "pack_1000"},
  {"id": "e24", "type": "task_cancelled", "at": "2026-10-04T00:00:00Z", "project_id": "p2", "task_id": "t5"},
  {"id": "e25", "type": "usage", "at": "2026-10-05T00:00:00Z", "project_id": "p1", "task_id": "t1", "session_id": "s1",
   "service": "summarization", "tokens": {"output": 40}},
  {"id": "e23", "type": "credits_purchased", "at": "2026-10-03T00:00:00Z", "credits": 1000, "pack": "pack_1000"}
 ]})";

json base() { return json::parse(base_text); }

const credits::Engine& engine() {
    static const credits::Engine e = credits::Engine::with_defaults();
    return e;
}

std::int64_t ns(const char* text) {
    const std::optional<credits::Instant> instant = credits::parse_instant(text);
    REQUIRE(instant.has_value());
    return instant->ns;
}

credits::Result<credits::Ledger> parse(const std::string& text) {
    return credits::parse_ledger(text, engine().rules(), engine().catalog());
}

credits::Ledger parse_ok(const std::string& text) {
    credits::Result<credits::Ledger> result = parse(text);
    if (!result.ok()) {
        for (const credits::Error& e : result.errors) UNSCOPED_INFO(e.code << " " << e.pointer << " " << e.message);
    }
    REQUIRE(result.ok());
    return std::move(*result.value);
}

// The same JSON value, its root "format" member written with an escape: the
// fast reader never takes it, so the strict reader reads it alone.
std::string strict_only(std::string text) {
    // The root's member (the checkpoint has a "format" too): dumped with sorted keys, after "events".
    const std::string key = "\"format\":\"easycoda.ledger/1\"";
    const std::size_t at = text.find(key);
    REQUIRE(at != std::string::npos);
    return text.replace(at, 8, "\"f\\u006frmat\"");
}

// Everything a reader puts in a Ledger, as JSON: compared whole between readers.
json summary(const credits::Ledger& l) {
    json j;
    j["opened_at"] = l.opened_at_ns;
    j["duplicates_ignored"] = l.duplicates_ignored;
    const auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
    for (const credits::GrantRecord& g : l.grants)
        j["grants"].push_back({g.id, credits::grant_source_name(g.source), g.granted_at_ns, g.expires_at_ns, g.tokens, opt(g.plan),
                               opt(g.pack), opt(g.reason), opt(g.period_start_ns), opt(g.period_end_ns)});
    for (const credits::FailedBilling& f : l.failed_billings)
        j["failed_billings"].push_back({f.id, f.at_ns, f.plan, f.period_start_ns, f.period_end_ns});
    for (const credits::Task& t : l.tasks)
        j["tasks"].push_back({t.project, t.task_id, opt(t.cancelled_at_ns), t.cancel_event_id, opt(t.cancel_reason)});
    for (const credits::Session& s : l.sessions)
        j["sessions"].push_back({s.project, s.task, s.session_id, opt(s.completed_at_ns), s.completion_event_id, s.output_tokens,
                                 s.input_cache_miss_tokens, s.history_output_tokens, s.history_input_cache_miss_tokens,
                                 s.history_input_cache_hit_tokens, s.history_charge});
    for (const credits::UsageRecord& u : l.usage)
        j["usage"].push_back({u.at_ns, l.usage_event_ids[u.event], u.project, u.task, u.session, static_cast<int>(u.service),
                              u.output_tokens, u.input_cache_miss_tokens, u.input_cache_hit_tokens});
    for (const credits::Action& a : l.actions) j["actions"].push_back({a.at_ns, static_cast<int>(a.kind), a.index});
    j["event_instants"] = l.event_instants_ns;
    if (!l.checkpoint) return j;
    const credits::Checkpoint& c = *l.checkpoint;
    json& cp = j["checkpoint"];
    cp["figures"] = {c.at_ns, c.overdraft_tokens, c.charged_tokens, c.events};
    for (const credits::GrantOpening& g : c.grants) cp["grants"].push_back({g.used_tokens, g.expired_tokens, g.remaining_tokens});
    for (const credits::HistoryUsage& u : c.usage)
        cp["usage"].push_back({u.at_ns, u.project, u.session, u.charged_tokens, u.cache_hit_tokens, u.summarization_tokens,
                               u.other_service_tokens, u.cancelled_tokens, u.open_tokens});
    for (const credits::HistoryCompletion& h : c.completions)
        cp["completions"].push_back({h.at_ns, h.output_tokens, h.input_cache_miss_tokens, h.input_cache_hit_tokens});
    for (const credits::HistoryCharge& h : c.charges)
        cp["charges"].push_back({h.session, h.charged_tokens, h.overdraft_tokens, h.balance_tokens, h.allocations_begin, h.allocations_end});
    for (const credits::HistoryAllocation& a : c.allocations) cp["allocations"].push_back({a.grant, a.tokens});
    return j;
}

std::uint32_t session_index(const credits::Ledger& l, const char* project, const char* task, const char* session) {
    for (std::uint32_t i = 0; i < l.sessions.size(); ++i) {
        const credits::Session& s = l.sessions[i];
        if (l.projects[s.project].id == project && l.tasks[s.task].task_id == task && s.session_id == session) return i;
    }
    FAIL("no session " << project << "/" << task << "/" << session);
    return credits::no_index;
}

const credits::Task& task_named(const credits::Ledger& l, const char* project, const char* task) {
    for (const credits::Task& t : l.tasks)
        if (l.projects[t.project].id == project && t.task_id == task) return t;
    FAIL("no task " << project << "/" << task);
    return l.tasks.front();
}

// The first error of a document that must be rejected.
credits::Error first_error(const json& doc) {
    const credits::Result<credits::Ledger> result = parse(doc.dump());
    REQUIRE_FALSE(result.ok());
    REQUIRE_FALSE(result.errors.empty());
    // The strict reader alone gives the same errors (the fast path falls back to it).
    const credits::Result<credits::Ledger> strict = parse(strict_only(doc.dump()));
    REQUIRE_FALSE(strict.ok());
    CHECK(strict.errors.front().code == result.errors.front().code);
    CHECK(strict.errors.front().pointer == result.errors.front().pointer);
    return result.errors.front();
}

void check_error(const json& doc, const char* code, const char* pointer, const std::vector<std::string>& named) {
    const credits::Error e = first_error(doc);
    INFO(e.code << " " << e.pointer << " " << e.message);
    CHECK(e.code == code);
    CHECK(e.pointer == pointer);
    for (const std::string& text : named) CHECK_THAT(e.message, Catch::Contains(text));
}

json with(json doc, const char* pointer, json value) {
    doc[json::json_pointer(pointer)] = std::move(value);
    return doc;
}

json without(json doc, const char* parent, const char* key) {
    doc[json::json_pointer(parent)].erase(key);
    return doc;
}

json with_event(json doc, json event) {
    doc["events"].push_back(std::move(event));
    return doc;
}

}  // namespace

TEST_CASE("checkpoint: a valid checkpointed document reads into exactly its records and figures", "[checkpoint]") {
    const credits::Ledger l = parse_ok(base().dump());
    REQUIRE(l.checkpoint.has_value());
    const credits::Checkpoint& c = *l.checkpoint;
    CHECK(c.at_ns == ns("2026-10-01T00:00:00Z"));
    CHECK(l.opened_at_ns == ns("2026-09-01T08:00:00Z"));
    CHECK(c.events == 12);
    CHECK(c.charged_tokens == 4200);
    CHECK(c.overdraft_tokens == 0);
    CHECK(l.duplicates_ignored == 3);  // the checkpoint's 2 and the repeated e23

    // Grants: the checkpoint's first (sorted), Checkpoint::grants parallel to them.
    REQUIRE(l.grants.size() == 5);
    const std::vector<std::string> ids = {"e1", "e2", "e3", "e4", "e23"};
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(l.grants[i].id == ids[i]);
    REQUIRE(c.grants.size() == 4);
    CHECK(c.grants[0].remaining_tokens == 5000000);
    CHECK(c.grants[1].used_tokens == 1000);
    CHECK(c.grants[2].used_tokens == 3200);
    CHECK(c.grants[2].remaining_tokens == 19996800);
    CHECK(c.grants[3].expired_tokens == 500);
    CHECK(l.grants[0].source == credits::GrantSource::signup);
    CHECK_FALSE(l.grants[0].expires());
    CHECK(l.grants[1].reason == std::optional<std::string>("goodwill"));
    CHECK(l.grants[1].expires_at_ns == ns("2026-09-20T00:00:00Z"));
    CHECK(l.grants[2].plan == std::optional<std::string>("standard"));
    CHECK(l.grants[2].period_start_ns == std::optional(ns("2026-09-10T00:00:00Z")));
    CHECK(l.grants[2].period_end_ns == std::optional(ns("2026-10-10T00:00:00Z")));
    CHECK_FALSE(l.grants[3].reason.has_value());  // null = absent
    CHECK(l.grants[4].pack == std::optional<std::string>("pack_1000"));

    REQUIRE(l.failed_billings.size() == 1);
    CHECK(l.failed_billings[0].id == "f1");
    CHECK(l.failed_billings[0].plan == "premium");
    CHECK(l.failed_billings[0].period_end_ns == ns("2026-10-08T00:00:00Z"));

    // Tasks: the checkpoint's cancellation governs; the tail's cancels its own task.
    const credits::Task& t2 = task_named(l, "p1", "t2");
    CHECK(t2.cancelled_at_ns == std::optional(ns("2026-09-12T10:00:00Z")));
    CHECK(t2.cancel_event_id == "e8");
    CHECK(t2.cancel_reason == std::optional<std::string>("stopped"));
    CHECK(task_named(l, "p2", "t5").cancel_event_id == "e24");

    // Sessions: an open one continued by the tail, then completed; one still open; one completed before S.
    const credits::Session& s1 = l.sessions[session_index(l, "p1", "t3", "s1")];
    CHECK(s1.output_tokens == 110);
    CHECK(s1.input_cache_miss_tokens == 55);
    CHECK(s1.history_output_tokens == 100);
    CHECK(s1.history_input_cache_miss_tokens == 50);
    CHECK(s1.history_input_cache_hit_tokens == 900);
    CHECK(s1.completed_at_ns == std::optional(ns("2026-10-02T00:00:00Z")));
    CHECK(s1.history_charge == credits::no_index);
    const std::uint32_t s9_index = session_index(l, "p2", "t5", "s9");
    const credits::Session& s9 = l.sessions[s9_index];
    CHECK(s9.output_tokens == 25);
    CHECK(s9.input_cache_miss_tokens == 5);
    CHECK_FALSE(s9.completed_at_ns.has_value());
    const std::uint32_t done_index = session_index(l, "p1", "t1", "s1");
    const credits::Session& done = l.sessions[done_index];
    CHECK(done.completed_at_ns == std::optional(ns("2026-09-12T09:40:00Z")));
    CHECK(done.completion_event_id == "c1");
    CHECK(done.output_tokens == 1200);
    CHECK(done.input_cache_miss_tokens == 3000);
    REQUIRE(done.history_charge == 0);
    const std::uint32_t s7_index = session_index(l, "p1", "t2", "s7");  // first seen in the tail, its task cancelled

    REQUIRE(c.charges.size() == 1);
    CHECK(c.charges[0].session == done_index);
    CHECK(c.charges[0].charged_tokens == 4200);
    CHECK(c.charges[0].balance_tokens == 24996800);
    REQUIRE(c.charges[0].allocations_end - c.charges[0].allocations_begin == 2);
    REQUIRE(c.allocations.size() == 2);
    CHECK(l.grants[c.allocations[0].grant].id == "e2");
    CHECK(c.allocations[0].tokens == 1000);
    CHECK(l.grants[c.allocations[1].grant].id == "e3");
    CHECK(c.allocations[1].tokens == 3200);

    REQUIRE(c.completions.size() == 1);
    CHECK(c.completions[0].at_ns == ns("2026-09-12T09:40:00Z"));
    CHECK(c.completions[0].input_cache_hit_tokens == 45000);

    // History rows, sorted by (at, project, session); p1 = 0, p2 = 1.
    const std::uint32_t s1_index = session_index(l, "p1", "t3", "s1");
    const std::vector<std::vector<std::int64_t>> rows = {
        {ns("2026-09-12T09:30:00Z"), 0, credits::no_index, 4200, 45000, 9300, 0, 77, 0},
        {ns("2026-09-12T09:35:00Z"), 1, credits::no_index, 0, 0, 0, 300, 0, 0},
        {ns("2026-09-28T02:00:00Z"), 1, s9_index, 0, 0, 0, 0, 0, 10},
        {ns("2026-09-29T03:00:00Z"), 1, s9_index, 0, 0, 0, 0, 0, 20},
        {ns("2026-09-30T01:00:00Z"), 0, s1_index, 0, 0, 0, 0, 0, 150},
        {ns("2026-09-30T01:00:00Z"), 0, credits::no_index, 0, 900, 0, 0, 0, 0},
    };
    REQUIRE(c.usage.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const credits::HistoryUsage& u = c.usage[i];
        INFO("row " << i);
        CHECK(std::vector<std::int64_t>{u.at_ns, u.project, u.session, u.charged_tokens, u.cache_hit_tokens, u.summarization_tokens,
                                        u.other_service_tokens, u.cancelled_tokens, u.open_tokens} == rows[i]);
    }

    // The tail's usage: its records only, on the sessions the checkpoint interned.
    REQUIRE(l.usage.size() == 3);
    CHECK(l.usage[0].session == s1_index);
    CHECK(l.usage[1].session == s7_index);
    CHECK(l.usage[2].service == credits::Service::summarization);
    CHECK(l.usage[2].session == done_index);

    // No action before S: the plan grant's expiry after S stays, the expired promotions' do not.
    std::vector<std::vector<std::int64_t>> actions;
    for (const credits::Action& a : l.actions) actions.push_back({a.at_ns, static_cast<std::int64_t>(a.kind), a.index});
    const std::vector<std::vector<std::int64_t>> expected_actions = {
        {ns("2026-10-02T00:00:00Z"), static_cast<std::int64_t>(credits::ActionKind::completion), s1_index},
        {ns("2026-10-03T00:00:00Z"), static_cast<std::int64_t>(credits::ActionKind::grant), 4},
        {ns("2026-10-10T00:00:00Z"), static_cast<std::int64_t>(credits::ActionKind::expiry), 2},
    };
    CHECK(actions == expected_actions);
}

TEST_CASE("checkpoint: both readers give the same ledger, and plain events stay on the fast path", "[checkpoint]") {
    const std::string plain = base().dump();
    json escaped_doc = base();
    escaped_doc["events"][4]["reason"] = "stopped \xe2\x80\x94 by hand";  // dumped as UTF-8; escaped below
    std::string escaped = escaped_doc.dump();
    const std::string dash = "\xe2\x80\x94";
    escaped.replace(escaped.find(dash), dash.size(), "\\u2014");
    const credits::LedgerLimits limits;
    // The fast path reads the plain document whole (no fallback to the strict
    // reader), and the escaped one with that event read strictly; the strict
    // reader alone reads the third.
    CHECK(credits::ledger_reading::read_ledger_fast(plain, engine().rules(), engine().catalog(), limits).has_value());
    CHECK(credits::ledger_reading::read_ledger_fast(escaped, engine().rules(), engine().catalog(), limits).has_value());
    CHECK_FALSE(credits::ledger_reading::read_ledger_fast(strict_only(plain), engine().rules(), engine().catalog(), limits).has_value());
    const json fast = summary(parse_ok(plain));
    CHECK(fast == summary(parse_ok(strict_only(plain))));
    json with_reason = summary(parse_ok(escaped));
    CHECK(with_reason == summary(parse_ok(strict_only(escaped))));
    CHECK(with_reason["tasks"] != fast["tasks"]);  // the reason was read
    with_reason["tasks"] = fast["tasks"];
    CHECK(with_reason == fast);
}

TEST_CASE("checkpoint: the checkpoint's instants, format and members are read strictly", "[checkpoint]") {
    check_error(with(base(), "/checkpoint/format", "easycoda.checkpoint/2"), "unsupported_format", "/checkpoint/format",
                {"easycoda.checkpoint/2", "easycoda.checkpoint/1"});
    check_error(with(base(), "/checkpoint", json::array()), "wrong_type", "/checkpoint", {"an array"});
    check_error(with(base(), "/checkpoint/grants", json::object()), "wrong_type", "/checkpoint/grants", {"grants"});
    check_error(with(base(), "/checkpoint/balance_tokens", 5), "unknown_field", "/checkpoint/balance_tokens", {"balance_tokens"});
    check_error(with(base(), "/checkpoint/grants/1/note", "x"), "unknown_field", "/checkpoint/grants/1/note", {"note"});
    check_error(without(base(), "/checkpoint/grants/2", "used_tokens"), "missing_field", "/checkpoint/grants/2/used_tokens",
                {"used_tokens"});
    check_error(without(base(), "/checkpoint/grants/0", "expires_at"), "missing_field", "/checkpoint/grants/0/expires_at",
                {"expires_at"});
    check_error(without(base(), "/checkpoint", "usage"), "missing_field", "/checkpoint/usage", {"usage"});
    check_error(with(base(), "/checkpoint/grants/2/used_tokens", -3), "invalid_number", "/checkpoint/grants/2/used_tokens", {});
    check_error(with(base(), "/checkpoint/open_sessions/0/days/0/tokens", 1.5), "invalid_number",
                "/checkpoint/open_sessions/0/days/0/tokens", {});
    check_error(with(base(), "/checkpoint/at", "2026-10-01"), "invalid_instant", "/checkpoint/at", {});
    // Counted in 32 bits in the WebAssembly module, with the tail's (at most 2,000,000).
    check_error(with(base(), "/checkpoint/duplicates_ignored", 4294967295), "checkpoint_inconsistent", "/checkpoint/duplicates_ignored",
                {"4294967295", "4292967295"});
    check_error(with(base(), "/checkpoint/grants/1/source", "referral"), "invalid_value", "/checkpoint/grants/1/source",
                {"referral"});
    check_error(with(base(), "/checkpoint/grants/2/plan", "gold"), "unknown_plan", "/checkpoint/grants/2/plan", {"gold"});
    check_error(with(base(), "/checkpoint/usage/1/project_id", "p9"), "unknown_project", "/checkpoint/usage/1/project_id", {"p9"});
    check_error(with(base(), "/checkpoint/open_sessions/1/project_id", "p9"), "unknown_project",
                "/checkpoint/open_sessions/1/project_id", {"p9"});
}

TEST_CASE("checkpoint: its instants lie in [opened_at, S), expiries and periods after the grant", "[checkpoint]") {
    check_error(with(base(), "/checkpoint/opened_at", "2026-10-01T00:00:00Z"), "checkpoint_inconsistent", "/checkpoint/opened_at",
                {"2026-10-01T00:00:00Z"});
    check_error(with(base(), "/checkpoint/failed_billings/0/at", "2026-08-31T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/failed_billings/0/at", {"2026-08-31T00:00:00Z", "2026-09-01T08:00:00Z", "2026-10-01T00:00:00Z"});
    check_error(with(base(), "/checkpoint/usage/2/at", "2026-10-01T00:00:00Z"), "checkpoint_inconsistent", "/checkpoint/usage/2/at",
                {"2026-10-01T00:00:00Z"});
    check_error(with(base(), "/checkpoint/cancelled_tasks/0/cancelled_at", "2026-10-02T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/cancelled_tasks/0/cancelled_at", {"2026-10-02T00:00:00Z"});
    check_error(with(base(), "/checkpoint/grants/1/expires_at", "2026-09-05T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/grants/1/expires_at", {"expires after it was granted"});
    json period = with(base(), "/checkpoint/grants/2/period_start", "2026-10-10T00:00:00Z");
    check_error(period, "checkpoint_inconsistent", "/checkpoint/grants/2/period_end", {"period_start"});
    check_error(with(base(), "/checkpoint/grants/2/expires_at", "2026-10-11T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/grants/2/expires_at", {"2026-10-10T00:00:00Z"});
    check_error(with(base(), "/checkpoint/failed_billings/0/period_end", "2026-09-08T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/failed_billings/0/period_end", {"2026-09-08T00:00:00Z"});
    check_error(with(base(), "/checkpoint/grants/0/granted_at", "2026-09-02T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/grants/0/granted_at", {"2026-09-01T08:00:00Z"});
    check_error(with(base(), "/checkpoint/grants/1/pack", "pack_500"), "checkpoint_inconsistent", "/checkpoint/grants/1/pack",
                {"promotion"});
}

TEST_CASE("checkpoint: every grant and the account conserve", "[checkpoint]") {
    check_error(with(base(), "/checkpoint/grants/2/used_tokens", 3300), "checkpoint_inconsistent", "/checkpoint/grants/2/granted_tokens",
                {"20000000", "3300", "19996800", "20000100"});
    json expired_remaining = with(with(base(), "/checkpoint/grants/3/expired_tokens", 400), "/checkpoint/grants/3/remaining_tokens", 100);
    check_error(expired_remaining, "checkpoint_inconsistent", "/checkpoint/grants/3/remaining_tokens", {"2026-09-25T00:00:00Z", "100"});
    json live_expired = with(with(base(), "/checkpoint/grants/2/expired_tokens", 6800), "/checkpoint/grants/2/remaining_tokens", 19990000);
    check_error(live_expired, "checkpoint_inconsistent", "/checkpoint/grants/2/expired_tokens", {"6800"});
    // The signup grant used 100 more: the grants' used tokens no longer add up to charged_tokens.
    json used_more = with(with(base(), "/checkpoint/grants/0/used_tokens", 100), "/checkpoint/grants/0/remaining_tokens", 4999900);
    check_error(used_more, "checkpoint_inconsistent", "/checkpoint/charged_tokens", {"4200", "4300", "0"});
    // An overdraft (charged and usage rows agree) while grants still have tokens.
    json overdraft = with(with(base(), "/checkpoint/overdraft_tokens", 100), "/checkpoint/charged_tokens", 4300);
    overdraft = with(overdraft, "/checkpoint/usage/0/charged_tokens", 4300);
    check_error(overdraft, "checkpoint_inconsistent", "/checkpoint/overdraft_tokens", {"100", "24996800"});
    check_error(with(base(), "/checkpoint/usage/0/charged_tokens", 4100), "checkpoint_inconsistent", "/checkpoint/charged_tokens",
                {"4200", "4100"});
}

TEST_CASE("checkpoint: sessions' tokens, charges and allocations agree", "[checkpoint]") {
    check_error(with(base(), "/checkpoint/open_sessions/1/days/1/tokens", 21), "checkpoint_inconsistent",
                "/checkpoint/open_sessions/1/days", {"30", "31"});
    json cancelled_open = base();
    cancelled_open["checkpoint"]["open_sessions"].insert(cancelled_open["checkpoint"]["open_sessions"].begin(),
                                                         json{{"project_id", "p1"}, {"task_id", "t2"}, {"session_id", "s3"},
                                                              {"output_tokens", 0}, {"input_cache_miss_tokens", 0},
                                                              {"input_cache_hit_tokens", 0}, {"days", json::array()}});
    check_error(cancelled_open, "checkpoint_inconsistent", "/checkpoint/open_sessions/0/task_id", {"t2", "s3"});
    check_error(with(base(), "/checkpoint/completed_sessions/0/charged_tokens", 4100), "checkpoint_inconsistent",
                "/checkpoint/completed_sessions/0/charged_tokens", {"4200", "4100"});
    check_error(with(base(), "/checkpoint/completed_sessions/0/allocations/1/tokens", 3100), "checkpoint_inconsistent",
                "/checkpoint/completed_sessions/0/allocations", {"4200", "4100", "0"});
    check_error(with(base(), "/checkpoint/completed_sessions/0/allocations/0/grant_id", "e9"), "checkpoint_inconsistent",
                "/checkpoint/completed_sessions/0/allocations/0/grant_id", {"e9"});
    check_error(with(base(), "/checkpoint/completed_sessions/0/allocations/0/grant_id", "e4"), "checkpoint_inconsistent",
                "/checkpoint/completed_sessions/0/allocations/0/grant_id", {"e4"});  // granted after the completion
    json open_and_done = base();
    open_and_done["checkpoint"]["completed_sessions"][0]["task_id"] = "t3";
    check_error(open_and_done, "checkpoint_inconsistent", "/checkpoint/completed_sessions/0", {"s1"});
    json done_after_cancel = with(base(), "/checkpoint/completed_sessions/0/task_id", "t2");
    done_after_cancel = with(done_after_cancel, "/checkpoint/completed_sessions/0/completed_at", "2026-09-12T11:00:00Z");
    check_error(done_after_cancel, "checkpoint_inconsistent", "/checkpoint/completed_sessions/0/completed_at",
                {"2026-09-12T10:00:00Z"});
    check_error(with(base(), "/checkpoint/completed_sessions/0/balance_tokens", 30000000), "checkpoint_inconsistent",
                "/checkpoint/completed_sessions", {"30000000", "25001500"});
}

TEST_CASE("checkpoint: recent completions, rows and days: in their window, once each, in canonical order", "[checkpoint]") {
    check_error(with(base(), "/checkpoint/recent_completions/0/at", "2026-09-01T00:00:00Z"), "checkpoint_inconsistent",
                "/checkpoint/recent_completions/0/at", {"2026-09-01T00:00:00Z"});  // before the opening
    // S on 10-05: S - 30 days is 09-05, so a completion on 09-04 is too old for the window.
    json old = with(base(), "/checkpoint/at", "2026-10-05T00:00:00Z");
    old = with(old, "/checkpoint/recent_completions/0/at", "2026-09-04T12:00:00Z");
    check_error(old, "checkpoint_inconsistent", "/checkpoint/recent_completions/0/at", {"2026-09-05T00:00:00Z", "2026-09-04T12:00:00Z"});
    json twice = base();
    twice["checkpoint"]["recent_completions"].push_back(twice["checkpoint"]["recent_completions"][0]);
    check_error(twice, "checkpoint_inconsistent", "/checkpoint/recent_completions/1", {"one item per instant"});
    check_error(with(base(), "/checkpoint/recent_completions/0/output_tokens", 5000), "checkpoint_inconsistent",
                "/checkpoint/recent_completions", {"8000", "4200"});
    // 09-12T09:35Z and 09-12T10:00Z are the same local day (+08:00) of p2.
    json same_day = base();
    same_day["checkpoint"]["usage"].insert(same_day["checkpoint"]["usage"].begin() + 2,
                                           json{{"at", "2026-09-12T10:00:00Z"}, {"project_id", "p2"}, {"charged_tokens", 0},
                                                {"cache_hit_tokens", 0}, {"summarization_tokens", 5}, {"other_service_tokens", 0},
                                                {"cancelled_tokens", 0}});
    check_error(same_day, "checkpoint_inconsistent", "/checkpoint/usage/2", {"2026-09-12", "p2"});
    json rows_swapped = base();
    std::swap(rows_swapped["checkpoint"]["usage"][0], rows_swapped["checkpoint"]["usage"][1]);
    check_error(rows_swapped, "checkpoint_inconsistent", "/checkpoint/usage/1", {"sorted by at"});
    json days_swapped = base();
    std::swap(days_swapped["checkpoint"]["open_sessions"][1]["days"][0], days_swapped["checkpoint"]["open_sessions"][1]["days"][1]);
    check_error(days_swapped, "checkpoint_inconsistent", "/checkpoint/open_sessions/1/days/1", {"one item per day"});
    check_error(with(base(), "/checkpoint/usage/2/cache_hit_tokens", 0), "checkpoint_inconsistent", "/checkpoint/usage",
                {"45900", "45000"});
}

TEST_CASE("checkpoint: lists in canonical order, each key and id once", "[checkpoint]") {
    json grants_swapped = base();
    std::swap(grants_swapped["checkpoint"]["grants"][1], grants_swapped["checkpoint"]["grants"][2]);
    check_error(grants_swapped, "checkpoint_inconsistent", "/checkpoint/grants/2", {"granted_at, then id"});
    json sessions_swapped = base();
    std::swap(sessions_swapped["checkpoint"]["open_sessions"][0], sessions_swapped["checkpoint"]["open_sessions"][1]);
    check_error(sessions_swapped, "checkpoint_inconsistent", "/checkpoint/open_sessions/1", {"out of order"});
    json cancelled_twice = base();
    json again = cancelled_twice["checkpoint"]["cancelled_tasks"][0];
    again["event_id"] = "e9";
    cancelled_twice["checkpoint"]["cancelled_tasks"].push_back(again);
    check_error(cancelled_twice, "checkpoint_inconsistent", "/checkpoint/cancelled_tasks/1", {"repeats"});
    check_error(with(base(), "/checkpoint/failed_billings/0/id", "e2"), "checkpoint_inconsistent", "/checkpoint/failed_billings/0/id",
                {"e2", "/checkpoint/grants/1/id"});
    check_error(with(base(), "/checkpoint/events", 3), "checkpoint_inconsistent", "/checkpoint/events", {"3", "7"});
}

TEST_CASE("checkpoint: the document's amount sum counts the checkpoint's granted tokens and usage figures", "[checkpoint]") {
    // 2^53 - 1 granted to one promotion: with the other grants and the usage the sum is over the limit.
    json big = with(base(), "/checkpoint/grants/3/granted_tokens", 9007199254740991);
    big = with(big, "/checkpoint/grants/3/expired_tokens", 9007199254740991);
    check_error(big, "amount_out_of_range", "/events", {"9007199254740991"});
    // Usage rows alone pass the limit too.
    json rows = with(base(), "/checkpoint/usage/1/other_service_tokens", 9007199254740991);
    check_error(rows, "amount_out_of_range", "/events", {"9007199254740991"});
}

TEST_CASE("checkpoint: the events after S are checked against it as against the whole history", "[checkpoint]") {
    const json usage_before = {{"id", "e30"}, {"type", "credits_purchased"}, {"at", "2026-09-30T23:59:59Z"}, {"credits", 5}};
    check_error(with_event(base(), usage_before), "before_checkpoint", "/events/7/at", {"2026-09-30T23:59:59Z", "2026-10-01T00:00:00Z"});
    const json opened = {{"id", "e31"}, {"type", "account_opened"}, {"at", "2026-10-06T00:00:00Z"}};
    check_error(with_event(base(), opened), "duplicate_account_opened", "/events/7/type", {"2026-09-01T08:00:00Z"});
    const json reuse = {{"id", "e8"}, {"type", "credits_purchased"}, {"at", "2026-10-06T00:00:00Z"}, {"credits", 5}};
    check_error(with_event(base(), reuse), "duplicate_id_conflict", "/events/7", {"e8", "/checkpoint/cancelled_tasks/0/event_id"});
    const json complete_again = {{"id", "e32"}, {"type", "session_completed"}, {"at", "2026-10-06T00:00:00Z"},
                                 {"project_id", "p1"}, {"task_id", "t1"}, {"session_id", "s1"}};
    check_error(with_event(base(), complete_again), "duplicate_completion", "/events/7", {"c1", "2026-09-12T09:40:00Z"});
    const json complete_cancelled = {{"id", "e33"}, {"type", "session_completed"}, {"at", "2026-10-06T00:00:00Z"},
                                     {"project_id", "p1"}, {"task_id", "t2"}, {"session_id", "s7"}};
    check_error(with_event(base(), complete_cancelled), "completion_after_cancellation", "/events/7",
                {"t2", "e8", "2026-09-12T10:00:00Z"});
    const json chat_after = {{"id", "e34"}, {"type", "usage"}, {"at", "2026-10-06T00:00:00Z"}, {"project_id", "p1"},
                             {"task_id", "t1"}, {"session_id", "s1"}, {"service", "agent_chat"}, {"tokens", {{"output", 3}}}};
    check_error(with_event(base(), chat_after), "usage_after_completion", "/events/7/at", {"2026-09-12T09:40:00Z"});
    // A checkpointed document has no account_opened event, and needs none.
    CHECK(parse(base().dump()).ok());
}

TEST_CASE("checkpoint: a question asked before S is before_checkpoint", "[checkpoint]") {
    std::string errors;
    std::optional<credits::LoadedLedger> loaded = engine().load(base().dump(), &errors);
    INFO(errors);
    REQUIRE(loaded.has_value());
    const credits::Answer before = loaded->report("2026-09-30T23:59:59Z");
    CHECK_FALSE(before.ok);
    const json answer = json::parse(before.json);
    REQUIRE(answer["errors"].size() == 1);
    CHECK(answer["errors"][0]["code"] == "before_checkpoint");
    CHECK(answer["errors"][0]["pointer"] == "/at");
    CHECK_THAT(answer["errors"][0]["message"].get<std::string>(), Catch::Contains("2026-10-01T00:00:00Z"));
    CHECK_FALSE(loaded->forecast("2026-09-15T00:00:00Z").ok);
    CHECK(loaded->report("2026-10-01T00:00:00Z").ok);  // at S itself
}
