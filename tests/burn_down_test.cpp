// Spec §2 and §4-§10: what is charged, where credits come from, which grant
// pays, expiry, overdraft, cancelled tasks, transfers, and the ledger
// document's rules. Each test builds a small ledger, reports it and checks
// hand-worked figures; every report also passes the §13/§14 checks of
// ledger_fixtures.h (conservation, tokens and credits agree, figures add up).
//
// The test rule set (ledger_fixtures.h) has small numbers: signup = 100
// tokens, standard = 1,000 tokens a month, premium = 3,000 tokens.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

const std::string opening = "2026-01-01T00:00:00Z";

// The figures of a report's usage (or a project row) as a compact map.
json usage_of(const json& figures) { return figure_tokens(figures); }

json figures(std::int64_t charged, std::int64_t cache_hit, std::int64_t summarization, std::int64_t other_service,
             std::int64_t cancelled, std::int64_t pending) {
    const std::int64_t free = cache_hit + summarization + other_service + cancelled + pending;
    return json{{"charged_tokens", charged},
                {"free_tokens", free},
                {"total_tokens", charged + free},
                {"free",
                 {{"cache_hit_tokens", cache_hit},
                  {"summarization_tokens", summarization},
                  {"other_service_tokens", other_service},
                  {"cancelled_tokens", cancelled},
                  {"pending_tokens", pending}}}};
}

// The balance-relevant figures of a grant row.
struct GrantFigures {
    std::int64_t granted, used, expired, remaining;
    friend bool operator==(const GrantFigures&, const GrantFigures&) = default;
};

GrantFigures figures_of(const json& g) {
    return {tokens(g.at("granted_tokens")), tokens(g.at("used_tokens")), tokens(g.at("expired_tokens")),
            tokens(g.at("remaining_tokens"))};
}

// The kinds of the ledger entries, in order.
std::vector<std::string> entry_kinds(const json& report) {
    std::vector<std::string> kinds;
    for (const json& e : report.at("ledger")) kinds.push_back(e.at("kind").get<std::string>() + ":" + e.value("grant_id", e.value("event_id", "")));
    return kinds;
}

json only_charge(const json& report) {
    const std::vector<json> charges = entries(report, "charge");
    REQUIRE(charges.size() == 1);
    return charges.front();
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<GrantFigures> {
    static std::string convert(const GrantFigures& g) {
        return "{granted " + std::to_string(g.granted) + ", used " + std::to_string(g.used) + ", expired " +
               std::to_string(g.expired) + ", remaining " + std::to_string(g.remaining) + "}";
    }
};
}  // namespace Catch

// ---------------------------------------------------------------------------
// §2 What is charged
// ---------------------------------------------------------------------------

TEST_CASE("§2 charged: output + cache-miss input of agent_chat records in a completed session") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30, .miss = 20, .hit = 500}),
                                 chat("u2", "2026-01-01T10:05:00Z", "t1", "s1", {.output = 10, .miss = 5, .hit = 100}),
                                 completed("c1", "2026-01-01T10:10:00Z", "t1", "s1"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(65, 600, 0, 0, 0, 0));
    CHECK(tokens(r["lifetime_charged_tokens"]) == 65);
    const json charge = only_charge(r);
    CHECK(charge["at"] == "2026-01-01T10:10:00Z");
    CHECK(charge["event_id"] == "c1");
    CHECK(charge["project_id"] == "p1");
    CHECK(charge["task_id"] == "t1");
    CHECK(charge["session_id"] == "s1");
    CHECK(tokens(charge["output_tokens"]) == 40);
    CHECK(tokens(charge["input_cache_miss_tokens"]) == 25);
    CHECK(tokens(charge["charged_tokens"]) == 65);
    CHECK(allocations(charge) == Allocations{{"open", 65}});
    CHECK(tokens(charge["overdraft_tokens"]) == 0);
    CHECK(tokens(charge["balance_tokens"]) == 35);
    CHECK(figures_of(grant(r, "open")) == GrantFigures{100, 65, 0, 35});
    CHECK(tokens(r["balance_tokens"]) == 35);
}

TEST_CASE("§2 every category: charged, cache hit, summarization, other service, cancelled, pending") {
    const std::vector<json> events{
        opened("open", opening),
        // charged: a completed session (its cache hits are cache hits)
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30, .miss = 20, .hit = 500}),
        completed("c1", "2026-01-01T10:30:00Z", "t1", "s1"),
        // summarization: every token of the record, hits included, even in a charged session
        summarization("u2", "2026-01-01T10:10:00Z", "t1", "s1", {.output = 7, .miss = 8, .hit = 9}),
        // other service: every token, in another project
        service("u3", "2026-01-01T11:00:00Z", "build", {.output = 1, .miss = 2, .hit = 3}, "p2"),
        // cancelled: a session of a cancelled task
        chat("u4", "2026-01-01T12:00:00Z", "t2", "s1", {.output = 40, .miss = 10, .hit = 70}),
        cancelled("x2", "2026-01-01T12:30:00Z", "t2"),
        // pending: a session still in progress at T
        chat("u5", "2026-01-01T13:00:00Z", "t3", "s1", {.output = 11, .miss = 12, .hit = 13}),
    };
    const json r = report_of(ledger_text(events), "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(50, 583, 24, 6, 50, 23));
    CHECK(usage_of(project_row(r, "p1")) == figures(50, 583, 24, 0, 50, 23));
    CHECK(usage_of(project_row(r, "p2")) == figures(0, 0, 0, 6, 0, 0));
    // Every token lands in exactly one category: nothing dropped, nothing counted twice.
    CHECK(record_tokens_total(events) == 736);
    CHECK(tokens(r["usage"]["total_tokens"]) == record_tokens_total(events));
    CHECK(tokens(r["lifetime_charged_tokens"]) == 50);
    CHECK(tokens(r["balance_tokens"]) == 50);
}

TEST_CASE("§2 other services: anything but agent_chat and summarization is free, with only a project_id") {
    const std::vector<json> events{
        opened("open", opening),
        service("u1", "2026-01-01T10:00:00Z", "build", {.output = 100, .miss = 200}),
        service("u2", "2026-01-01T10:00:00Z", "deploy", {.output = 1000}),
        service("u3", "2026-01-01T10:00:00Z", "hosting", {.miss = 1, .hit = 10000}),
        service("u4", "2026-01-01T10:00:00Z", "Agent_Chat", {.output = 5}),  // not "agent_chat": another service
    };
    const json r = report_of(ledger_text(events), "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(0, 0, 0, 11306, 0, 0));
    CHECK(tokens(r["usage"]["total_tokens"]) == record_tokens_total(events));
    CHECK(tokens(r["balance_tokens"]) == 100);
}

TEST_CASE("§2 pending: a session's usage is not charged until the session completes") {
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30, .miss = 20, .hit = 5}),
        completed("c1", "2026-01-01T11:00:00Z", "t1", "s1"),
    }));
    const json before = account_report(account, "2026-01-01T10:59:59.999999999Z");
    CHECK(usage_of(before["usage"]) == figures(0, 5, 0, 0, 0, 50));
    CHECK(tokens(before["balance_tokens"]) == 100);
    CHECK(entries(before, "charge").empty());
    CHECK(before["events_after_at"] == 1);
    const json at_completion = account_report(account, "2026-01-01T11:00:00Z");
    CHECK(usage_of(at_completion["usage"]) == figures(50, 5, 0, 0, 0, 0));
    CHECK(tokens(at_completion["balance_tokens"]) == 50);
}

TEST_CASE("§2 a completion without usage charges 0") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 completed("c1", "2026-01-01T10:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-02T00:00:00Z");
    const json charge = only_charge(r);
    CHECK(tokens(charge["charged_tokens"]) == 0);
    CHECK(charge["allocations"].empty());
    CHECK(tokens(charge["overdraft_tokens"]) == 0);
    CHECK(tokens(r["lifetime_charged_tokens"]) == 0);
    CHECK(tokens(r["balance_tokens"]) == 100);
}

TEST_CASE("§2 sessions are identified by (project, task, session)") {
    // The same task and session ids in two projects, or the same session id in two
    // tasks, are different sessions: completing one charges only its own usage.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 10}, "p1"),
                                 chat("u2", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 20}, "p2"),
                                 chat("u3", "2026-01-01T10:00:00Z", "t2", "s1", {.output = 40}, "p1"),
                                 completed("c1", "2026-01-01T11:00:00Z", "t1", "s1", "p2"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(20, 0, 0, 0, 0, 50));
    CHECK(tokens(only_charge(r)["charged_tokens"]) == 20);
    CHECK(only_charge(r)["project_id"] == "p2");
}

// ---------------------------------------------------------------------------
// §4 Grants
// ---------------------------------------------------------------------------

TEST_CASE("§4 grants: signup from the rule set, plan from the catalog, purchases and promotions as given") {
    // The shipped defaults: signup 500 credits, Standard 2,000 credits a month.
    json purchase = purchased("buy", "2026-01-03T00:00:00Z", "25.5");
    purchase["pack"] = "pack_1000";
    json promo = granted("promo", "2026-01-04T00:00:00Z", 10, "2026-03-01T00:00:00Z");
    promo["reason"] = "support goodwill";
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 billed_until("bill", "2026-01-02T00:00:00Z", "2026-02-02T00:00:00Z"),
                                 purchase,
                                 promo,
                                 granted("tiny", "2026-01-05T00:00:00Z", "0.0001"),
                             }),
                             "2026-01-10T00:00:00Z", default_engine());
    REQUIRE(r["grants"].size() == 5);
    const json signup = grant(r, "open");
    CHECK(signup["source"] == "signup");
    CHECK(signup["granted_at"] == opening);
    CHECK(signup["expires_at"].is_null());
    CHECK(tokens(signup["granted_tokens"]) == 5'000'000);
    const json plan = grant(r, "bill");
    CHECK(plan["source"] == "plan");
    CHECK(plan["plan"] == "standard");
    CHECK(tokens(plan["granted_tokens"]) == 20'000'000);
    CHECK(plan["expires_at"] == "2026-02-02T00:00:00Z");
    CHECK(plan["period_start"] == "2026-01-02T00:00:00Z");
    CHECK(plan["period_end"] == "2026-02-02T00:00:00Z");
    const json bought = grant(r, "buy");
    CHECK(bought["source"] == "purchase");
    CHECK(bought["pack"] == "pack_1000");
    CHECK(bought["expires_at"].is_null());
    CHECK(tokens(bought["granted_tokens"]) == 255'000);
    CHECK(grant(r, "promo")["source"] == "promotion");
    CHECK(grant(r, "promo")["reason"] == "support goodwill");
    CHECK(grant(r, "promo")["expires_at"] == "2026-03-01T00:00:00Z");
    CHECK(tokens(grant(r, "promo")["granted_tokens"]) == 100'000);
    CHECK(grant(r, "tiny")["expires_at"].is_null());
    CHECK(tokens(grant(r, "tiny")["granted_tokens"]) == 1);

    CHECK(tokens(r["balance_tokens"]) == 25'355'001);
    CHECK(tokens(r["balance_by_source"]["signup"]["remaining_tokens"]) == 5'000'000);
    CHECK(tokens(r["balance_by_source"]["plan"]["remaining_tokens"]) == 20'000'000);
    CHECK(tokens(r["balance_by_source"]["purchase"]["remaining_tokens"]) == 255'000);
    CHECK(tokens(r["balance_by_source"]["promotion"]["remaining_tokens"]) == 100'001);
    CHECK(entry_kinds(r) == std::vector<std::string>{"grant:open", "grant:bill", "grant:buy", "grant:promo", "grant:tiny"});
    // Grants are listed by granted_at, then id.
    std::vector<std::string> ids;
    for (const json& g : r["grants"]) ids.push_back(g["id"]);
    CHECK(ids == std::vector<std::string>{"open", "bill", "buy", "promo", "tiny"});
}

TEST_CASE("§4 grants: a failed billing grants nothing, but the report lists it") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 billed("bill", "2026-01-02T00:00:00Z", "standard", "failed"),
                             }),
                             "2026-01-10T00:00:00Z");
    REQUIRE(r["grants"].size() == 1);  // signup only
    CHECK(tokens(r["balance_tokens"]) == 100);
    REQUIRE(r["failed_billings"].size() == 1);
    const json failed = r["failed_billings"][0];
    CHECK(failed["id"] == "bill");
    CHECK(failed["at"] == "2026-01-02T00:00:00Z");
    CHECK(failed["plan"] == "standard");
    CHECK(failed["period_start"] == "2026-01-02T00:00:00Z");
    CHECK(failed["period_end"] == "2026-02-02T00:00:00Z");
    const std::vector<json> noted = entries(r, "billing_failed");
    REQUIRE(noted.size() == 1);
    CHECK(noted[0]["event_id"] == "bill");
    CHECK(noted[0]["plan"] == "standard");
    CHECK(tokens(noted[0]["balance_tokens"]) == 100);
    // Before its instant it is not listed yet.
    CHECK(report_of(ledger_text({opened("open", opening), billed("bill", "2026-01-02T00:00:00Z", "standard", "failed")}),
                    "2026-01-01T12:00:00Z")["failed_billings"]
              .empty());
}

TEST_CASE("§4 grants: credits on a billing event override the catalog's monthly_credits") {
    json bill = billed("bill", "2026-01-02T00:00:00Z", "standard");
    bill["credits"] = "0.25";
    const json r = report_of(ledger_text({opened("open", opening), bill}), "2026-01-10T00:00:00Z");
    CHECK(tokens(grant(r, "bill")["granted_tokens"]) == 2500);
    CHECK(grant(r, "bill")["plan"] == "standard");
    // The plan must still be in the catalog.
    bill["plan"] = "retired";
    CHECK(has_error(rejection(ledger_text({opened("open", opening), bill})), "unknown_plan", "bill"));
}

TEST_CASE("§4 grants: a plan grant lasts until period_end, by default one calendar month from period_start or at") {
    json written_in_offset = billed("b1", "2026-01-31T20:00:00-05:00");
    json with_start = billed("b2", "2026-01-16T00:00:00Z", "premium");
    with_start["period_start"] = "2026-01-15T00:00:00Z";
    const json r = report_of(ledger_text({opened("open", opening), written_in_offset, with_start}), "2026-02-10T00:00:00Z");
    // Counted in -05:00: Jan 31 20:00 -> Feb 28 20:00 -05:00.
    CHECK(grant(r, "b1")["period_start"] == "2026-02-01T01:00:00Z");
    CHECK(grant(r, "b1")["period_end"] == "2026-03-01T01:00:00Z");
    CHECK(grant(r, "b1")["expires_at"] == "2026-03-01T01:00:00Z");
    // period_start given: the period runs from it, the grant is active from the event's at.
    CHECK(grant(r, "b2")["period_start"] == "2026-01-15T00:00:00Z");
    CHECK(grant(r, "b2")["period_end"] == "2026-02-15T00:00:00Z");
    CHECK(grant(r, "b2")["granted_at"] == "2026-01-16T00:00:00Z");
    CHECK(tokens(grant(r, "b2")["granted_tokens"]) == 3000);
    const json before = report_of(ledger_text({opened("open", opening), with_start}), "2026-01-15T12:00:00Z");
    CHECK(before["grants"].size() == 1);
}

// ---------------------------------------------------------------------------
// §5 Burn-down
// ---------------------------------------------------------------------------

TEST_CASE("§5 burn-down: the grant that expires soonest pays first; grants that never expire last") {
    const json r = report_of(
        ledger_text({
            opened("open", opening),                                                                // 100, never
            purchased("buy", "2026-01-01T01:00:00Z", "0.05"),                                       // 500, never
            granted("promo", "2026-01-01T02:00:00Z", "0.03", "2026-03-01T00:00:00Z"),               // 300, March
            billed_until("bill", "2026-01-01T03:00:00Z", "2026-02-01T03:00:00Z"),                   // 1,000, February
            chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 1000, .miss = 500}),
            completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
        }),
        "2026-01-03T00:00:00Z");
    CHECK(allocations(only_charge(r)) == Allocations{{"bill", 1000}, {"promo", 300}, {"open", 100}, {"buy", 100}});
    CHECK(figures_of(grant(r, "buy")) == GrantFigures{500, 100, 0, 400});
    CHECK(tokens(r["balance_tokens"]) == 400);
}

TEST_CASE("§5 burn-down: on an expiry tie, free credits (signup, promotion) before paid ones (plan, purchase)") {
    SECTION("same expires_at: a younger promotion before an older plan grant") {
        const json r = report_of(ledger_text({
                                     opened("open", opening),
                                     billed_until("bill", "2026-01-01T01:00:00Z", "2026-02-01T00:00:00Z"),
                                     granted("promo", "2026-01-01T05:00:00Z", "0.01", "2026-02-01T00:00:00Z"),
                                     chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 150}),
                                     completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                                 }),
                                 "2026-01-03T00:00:00Z");
        CHECK(allocations(only_charge(r)) == Allocations{{"promo", 100}, {"bill", 50}});
    }
    SECTION("never expiring: signup and a younger promotion before an older purchase") {
        const json r = report_of(ledger_text({
                                     opened("open", opening),
                                     purchased("buy", "2026-01-01T01:00:00Z", "0.05"),
                                     granted("promo", "2026-01-01T05:00:00Z", "0.01"),
                                     chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 250}),
                                     completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                                 }),
                                 "2026-01-03T00:00:00Z");
        CHECK(allocations(only_charge(r)) == Allocations{{"open", 100}, {"promo", 100}, {"buy", 50}});
    }
}

TEST_CASE("§5 burn-down: then the oldest grant first") {
    // Ids in the opposite order, so only the age can decide.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 purchased("a_new", "2026-01-01T02:00:00Z", "0.05"),
                                 purchased("z_old", "2026-01-01T01:00:00Z", "0.05"),
                                 granted("b_new_promo", "2026-01-01T04:00:00Z", "0.01", "2026-03-01T00:00:00Z"),
                                 granted("y_old_promo", "2026-01-01T03:00:00Z", "0.01", "2026-03-01T00:00:00Z"),
                                 chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 900}),
                                 completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-03T00:00:00Z");
    CHECK(allocations(only_charge(r)) ==
          Allocations{{"y_old_promo", 100}, {"b_new_promo", 100}, {"open", 100}, {"z_old", 500}, {"a_new", 100}});
}

TEST_CASE("§5 burn-down: then the smaller event id, comparing bytes") {
    // Same instant, same expiry (never), all paid: byte order decides.
    // 'B' (0x42) < 'a' (0x61); "a10" < "a9"; "é" (0xC3 0xA9) after every ASCII id.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 purchased("é", "2026-01-01T01:00:00Z", "0.05"),
                                 purchased("a9", "2026-01-01T01:00:00Z", "0.05"),
                                 purchased("a10", "2026-01-01T01:00:00Z", "0.05"),
                                 purchased("B", "2026-01-01T01:00:00Z", "0.05"),
                                 chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 1601}),
                                 completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-03T00:00:00Z");
    CHECK(allocations(only_charge(r)) == Allocations{{"open", 100}, {"B", 500}, {"a10", 500}, {"a9", 500}, {"é", 1}});
    CHECK(figures_of(grant(r, "é")) == GrantFigures{500, 1, 0, 499});
}

TEST_CASE("§5 burn-down: each charge is paid at its completion from the grants active then") {
    // A grant given after a completion does not pay for it, and a later charge
    // sees what the earlier ones left.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 60}),
                                 completed("c1", "2026-01-02T01:00:00Z", "t1", "s1"),
                                 granted("promo", "2026-01-03T00:00:00Z", "0.01", "2026-02-01T00:00:00Z"),
                                 chat("u2", "2026-01-04T00:00:00Z", "t1", "s2", {.output = 70}),
                                 completed("c2", "2026-01-04T01:00:00Z", "t1", "s2"),
                             }),
                             "2026-01-05T00:00:00Z");
    const std::vector<json> charges = entries(r, "charge");
    REQUIRE(charges.size() == 2);
    CHECK(allocations(charges[0]) == Allocations{{"open", 60}});
    CHECK(tokens(charges[0]["balance_tokens"]) == 40);
    CHECK(allocations(charges[1]) == Allocations{{"promo", 70}});
    CHECK(tokens(charges[1]["balance_tokens"]) == 70);
}

// ---------------------------------------------------------------------------
// §6 Expiry
// ---------------------------------------------------------------------------

TEST_CASE("§6 expiry: usable strictly before expires_at; a completion at expires_at cannot use the grant") {
    const auto ledger_completing_at = [](const std::string& at) {
        return ledger_text({
            opened("open", opening),
            granted("promo", "2026-01-01T01:00:00Z", "0.01", "2026-01-10T00:00:00Z"),
            chat("u1", "2026-01-09T00:00:00Z", "t1", "s1", {.output = 150}),
            completed("c1", at, "t1", "s1"),
        });
    };
    SECTION("one nanosecond before expires_at the grant pays first") {
        const json r = report_of(ledger_completing_at("2026-01-09T23:59:59.999999999Z"), "2026-01-11T00:00:00Z");
        CHECK(allocations(only_charge(r)) == Allocations{{"promo", 100}, {"open", 50}});
        CHECK(figures_of(grant(r, "promo")) == GrantFigures{100, 100, 0, 0});
        CHECK(entries(r, "expiry").empty());  // nothing was left to expire
        CHECK(tokens(r["balance_tokens"]) == 50);
    }
    SECTION("at expires_at the grant has expired: the charge overdraws the signup credits") {
        const json r = report_of(ledger_completing_at("2026-01-10T00:00:00Z"), "2026-01-11T00:00:00Z");
        CHECK(allocations(only_charge(r)) == Allocations{{"open", 100}});
        CHECK(tokens(only_charge(r)["overdraft_tokens"]) == 50);
        CHECK(figures_of(grant(r, "promo")) == GrantFigures{100, 0, 100, 0});
        CHECK(entry_kinds(r) == std::vector<std::string>{"grant:open", "grant:promo", "expiry:promo", "charge:c1"});
        CHECK(tokens(r["balance_tokens"]) == -50);
    }
}

TEST_CASE("§6 expiry: at expires_at the unused remainder leaves the balance for good") {
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        granted("promo", "2026-01-01T01:00:00Z", "0.01", "2026-01-10T00:00:00Z"),
        chat("u1", "2026-01-05T00:00:00Z", "t1", "s1", {.output = 30}),
        completed("c1", "2026-01-05T00:00:00Z", "t1", "s1"),
        purchased("buy", "2026-01-12T00:00:00Z", "0.05"),
    }));
    const json before = account_report(account, "2026-01-09T23:59:59.999999999Z");
    CHECK(figures_of(grant(before, "promo")) == GrantFigures{100, 30, 0, 70});
    CHECK(grant(before, "promo")["active"] == true);
    CHECK(tokens(before["balance_tokens"]) == 170);

    const json at = account_report(account, "2026-01-10T00:00:00Z");
    CHECK(figures_of(grant(at, "promo")) == GrantFigures{100, 30, 70, 0});
    CHECK(grant(at, "promo")["active"] == false);
    CHECK(tokens(at["balance_tokens"]) == 100);
    const std::vector<json> expiries = entries(at, "expiry");
    REQUIRE(expiries.size() == 1);
    CHECK(expiries[0]["at"] == "2026-01-10T00:00:00Z");
    CHECK(tokens(expiries[0]["tokens"]) == 70);
    CHECK(tokens(expiries[0]["balance_tokens"]) == 100);

    // Later grants do not bring it back.
    const json later = account_report(account, "2026-01-20T00:00:00Z");
    CHECK(figures_of(grant(later, "promo")) == GrantFigures{100, 30, 70, 0});
    CHECK(tokens(later["balance_tokens"]) == 600);
}

TEST_CASE("§6 expiry: a plan grant expires at the end of its period (no carry-over)") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 billed_until("jan", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
                                 billed_until("feb", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
                                 chat("u1", "2026-01-15T00:00:00Z", "t1", "s1", {.output = 400}),
                                 completed("c1", "2026-01-15T00:00:00Z", "t1", "s1"),
                             }),
                             "2026-02-15T00:00:00Z");
    CHECK(figures_of(grant(r, "jan")) == GrantFigures{1000, 400, 600, 0});
    CHECK(figures_of(grant(r, "feb")) == GrantFigures{1000, 0, 0, 1000});
    CHECK(tokens(r["balance_tokens"]) == 1100);
    // Expiries apply before grants of the same instant; grants of one instant in burn-down order.
    CHECK(entry_kinds(r) == std::vector<std::string>{"grant:jan", "grant:open", "charge:c1", "expiry:jan", "grant:feb"});
}

// ---------------------------------------------------------------------------
// §7 Running out
// ---------------------------------------------------------------------------

TEST_CASE("§7 running out: the uncovered rest becomes an overdraft and the balance goes negative") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 200, .miss = 50}),
                                 completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-03T00:00:00Z");
    const json charge = only_charge(r);
    CHECK(allocations(charge) == Allocations{{"open", 100}});
    CHECK(tokens(charge["overdraft_tokens"]) == 150);
    CHECK(tokens(charge["balance_tokens"]) == -150);
    CHECK(tokens(r["overdraft_tokens"]) == 150);
    CHECK(tokens(r["balance_tokens"]) == -150);
    CHECK(r["balance_credits"] == "-0.0150");
    CHECK(r["can_start_agent_chat"] == false);
    CHECK(tokens(r["lifetime_charged_tokens"]) == 250);  // no charged token is dropped
    CHECK(tokens(r["usage"]["charged_tokens"]) == 250);
}

TEST_CASE("§7 running out: the next grant repays the overdraft before anything of it is spendable") {
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 250}),
        completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
        granted("promo", "2026-01-03T00:00:00Z", "0.01", "2026-02-01T00:00:00Z"),  // 100: repays part
        purchased("buy", "2026-01-04T00:00:00Z", "0.05"),                          // 500: repays the rest
        chat("u2", "2026-01-05T00:00:00Z", "t1", "s2", {.output = 10}),
        completed("c2", "2026-01-05T00:00:00Z", "t1", "s2"),
    }));
    const json partly = account_report(account, "2026-01-03T12:00:00Z");
    CHECK(figures_of(grant(partly, "promo")) == GrantFigures{100, 100, 0, 0});
    CHECK(tokens(partly["overdraft_tokens"]) == 50);
    CHECK(tokens(partly["balance_tokens"]) == -50);
    CHECK(partly["can_start_agent_chat"] == false);

    const json r = account_report(account, "2026-01-06T00:00:00Z");
    CHECK(figures_of(grant(r, "promo")) == GrantFigures{100, 100, 0, 0});
    CHECK(figures_of(grant(r, "buy")) == GrantFigures{500, 50 + 10, 0, 440});
    CHECK(tokens(r["overdraft_tokens"]) == 0);
    CHECK(tokens(r["balance_tokens"]) == 440);
    CHECK(entry_kinds(r) == std::vector<std::string>{"grant:open", "charge:c1", "grant:promo", "repayment:promo",
                                                      "grant:buy", "repayment:buy", "charge:c2"});
    const std::vector<json> repayments = entries(r, "repayment");
    CHECK(tokens(repayments[0]["tokens"]) == 100);
    CHECK(tokens(repayments[0]["balance_tokens"]) == -50);
    CHECK(tokens(repayments[1]["tokens"]) == 50);
    CHECK(tokens(repayments[1]["balance_tokens"]) == 450);
    // The second charge is paid from what the purchase kept, not from the promotion.
    CHECK(allocations(entries(r, "charge")[1]) == Allocations{{"buy", 10}});
}

TEST_CASE("§7 running out: several grants at one instant repay in burn-down order") {
    // Ids in the opposite order of burn-down, so only §5 can decide.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 750}),
                                 completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                                 purchased("a_buy", "2026-01-03T00:00:00Z", "0.05"),                            // paid, never: 3rd
                                 granted("b_promo", "2026-01-03T00:00:00Z", "0.03"),                            // free, never: 2nd
                                 granted("c_promo", "2026-01-03T00:00:00Z", "0.02", "2026-02-01T00:00:00Z"),    // expires: 1st
                             }),
                             "2026-01-04T00:00:00Z");
    CHECK(entry_kinds(r) == std::vector<std::string>{"grant:open", "charge:c1", "grant:c_promo", "repayment:c_promo",
                                                      "grant:b_promo", "repayment:b_promo", "grant:a_buy",
                                                      "repayment:a_buy"});
    CHECK(figures_of(grant(r, "c_promo")) == GrantFigures{200, 200, 0, 0});
    CHECK(figures_of(grant(r, "b_promo")) == GrantFigures{300, 300, 0, 0});
    CHECK(figures_of(grant(r, "a_buy")) == GrantFigures{500, 150, 0, 350});
    const std::vector<json> repayments = entries(r, "repayment");
    CHECK(tokens(repayments[0]["balance_tokens"]) == -450);
    CHECK(tokens(repayments[1]["balance_tokens"]) == -150);
    CHECK(tokens(repayments[2]["balance_tokens"]) == 350);
    CHECK(tokens(r["balance_tokens"]) == 350);

    // After the repaying promotion's expiry its repayment stays used, nothing expires.
    const json later = report_of(ledger_text({
                                     opened("open", opening),
                                     chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = 750}),
                                     completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                                     purchased("a_buy", "2026-01-03T00:00:00Z", "0.05"),
                                     granted("b_promo", "2026-01-03T00:00:00Z", "0.03"),
                                     granted("c_promo", "2026-01-03T00:00:00Z", "0.02", "2026-02-01T00:00:00Z"),
                                 }),
                                 "2026-03-01T00:00:00Z");
    CHECK(figures_of(grant(later, "c_promo")) == GrantFigures{200, 200, 0, 0});
    CHECK(entries(later, "expiry").empty());
}

TEST_CASE("§7 running out: can_start_agent_chat is false at a balance of 0 and below, true above") {
    const auto report_after_charging = [](std::int64_t charged) {
        return report_of(ledger_text({
                             opened("open", opening),
                             chat("u1", "2026-01-02T00:00:00Z", "t1", "s1", {.output = charged}),
                             completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                         }),
                         "2026-01-03T00:00:00Z");
    };
    const json one_left = report_after_charging(99);
    CHECK(tokens(one_left["balance_tokens"]) == 1);
    CHECK(one_left["can_start_agent_chat"] == true);
    const json zero = report_after_charging(100);
    CHECK(tokens(zero["balance_tokens"]) == 0);
    CHECK(tokens(zero["overdraft_tokens"]) == 0);
    CHECK(zero["can_start_agent_chat"] == false);
    const json negative = report_after_charging(101);
    CHECK(tokens(negative["balance_tokens"]) == -1);
    CHECK(negative["balance_credits"] == "-0.0001");
    CHECK(negative["can_start_agent_chat"] == false);
}

TEST_CASE("§7 running out: an account opened with signup_credits 0 starts unable to chat") {
    const credits::Engine engine =
        make_engine(R"({"format":"easycoda.rules/1","tokens_per_credit":10000,"signup_credits":0})", small_catalog_json);
    const json r = report_of(ledger_text({opened("open", opening)}), "2026-01-02T00:00:00Z", engine);
    CHECK(figures_of(grant(r, "open")) == GrantFigures{0, 0, 0, 0});
    CHECK(tokens(r["balance_tokens"]) == 0);
    CHECK(r["can_start_agent_chat"] == false);
}

// ---------------------------------------------------------------------------
// §8 Cancelled tasks
// ---------------------------------------------------------------------------

TEST_CASE("§8 cancelled tasks: a session not completed by T is cancelled, never charged") {
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30, .miss = 20, .hit = 5}),
        cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
        chat("u2", "2026-01-01T11:30:00Z", "t1", "s1", {.output = 7, .hit = 1}),  // in flight after the cancel
    }));
    const json before = account_report(account, "2026-01-01T10:30:00Z");
    CHECK(usage_of(before["usage"]) == figures(0, 5, 0, 0, 0, 50));
    const json after = account_report(account, "2026-01-02T00:00:00Z");
    CHECK(usage_of(after["usage"]) == figures(0, 6, 0, 0, 57, 0));
    CHECK(entries(after, "charge").empty());
    CHECK(tokens(after["balance_tokens"]) == 100);
}

TEST_CASE("§8 cancelled tasks: sessions completed before the cancellation stay charged") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
                                 completed("c1", "2026-01-01T10:30:00Z", "t1", "s1"),
                                 chat("u2", "2026-01-01T10:40:00Z", "t1", "s2", {.output = 20}),
                                 cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(30, 0, 0, 0, 20, 0));
    CHECK(tokens(r["balance_tokens"]) == 70);
}

TEST_CASE("§8 cancelled tasks: a completion at T itself comes first and stays charged") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
                                 cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
                                 completed("c1", "2026-01-01T11:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(30, 0, 0, 0, 0, 0));
    CHECK(only_charge(r)["at"] == "2026-01-01T11:00:00Z");
}

TEST_CASE("§8 cancelled tasks: a completion after the cancellation is rejected (completion_after_cancellation)") {
    const json errors = rejection(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
        cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
        completed("c1", "2026-01-01T11:00:00.000000001Z", "t1", "s1"),
    }));
    CHECK(has_error(errors, "completion_after_cancellation", "c1"));
    CHECK(errors[0]["pointer"] == "/events/3");
}

TEST_CASE("§8 cancelled tasks: sessions that first appear after the cancellation are cancelled too") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
                                 chat("u1", "2026-01-01T12:00:00Z", "t1", "s9", {.output = 30, .miss = 3, .hit = 300}),
                                 summarization("u2", "2026-01-01T12:01:00Z", "t1", "s9", {.output = 4}),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(0, 300, 4, 0, 33, 0));
}

TEST_CASE("§8 cancelled tasks: the cancellation covers every session of the task, not other tasks") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 1}),
                                 chat("u2", "2026-01-01T10:00:00Z", "t1", "s2", {.output = 2}),
                                 chat("u3", "2026-01-01T10:00:00Z", "t2", "s1", {.output = 4}),
                                 chat("u4", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 8}, "p2"),
                                 cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(0, 0, 0, 0, 3, 12));
}

TEST_CASE("§8 usage after its session's completion is rejected (usage_after_completion); summarization is fine") {
    SECTION("an agent_chat record after the completion") {
        const json errors = rejection(ledger_text({
            opened("open", opening),
            chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
            completed("c1", "2026-01-01T10:30:00Z", "t1", "s1"),
            chat("u2", "2026-01-01T10:30:00.000000001Z", "t1", "s1", {.output = 1}),
        }));
        CHECK(has_error(errors, "usage_after_completion", "u2"));
        CHECK(errors[0]["pointer"] == "/events/3/at");
    }
    SECTION("summarization and other services after the completion") {
        json build = service("u3", "2026-01-01T11:00:00Z", "build", {.output = 5});
        build["task_id"] = "t1";
        const json r = report_of(ledger_text({
                                     opened("open", opening),
                                     chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
                                     completed("c1", "2026-01-01T10:30:00Z", "t1", "s1"),
                                     summarization("u2", "2026-01-01T10:45:00Z", "t1", "s1", {.output = 9, .miss = 90}),
                                     build,
                                 }),
                                 "2026-01-02T00:00:00Z");
        CHECK(usage_of(r["usage"]) == figures(30, 0, 99, 5, 0, 0));
        CHECK(tokens(only_charge(r)["charged_tokens"]) == 30);
    }
}

TEST_CASE("§8 cancelled tasks: the earliest of several cancellations governs") {
    json late = cancelled("x_late", "2026-01-01T11:00:00Z", "t1");
    late["reason"] = "second thoughts";
    json early = cancelled("x_early", "2026-01-01T10:00:00Z", "t1");
    early["reason"] = "wrong branch";
    SECTION("a completion between the two cancellations is rejected") {
        const json errors = rejection(ledger_text({
            opened("open", opening),
            chat("u1", "2026-01-01T09:00:00Z", "t1", "s1", {.output = 30}),
            late,
            early,
            completed("c1", "2026-01-01T10:30:00Z", "t1", "s1"),
        }));
        CHECK(has_error(errors, "completion_after_cancellation", "c1"));
    }
    SECTION("the task is cancelled from the earliest one, with its reason") {
        credits::LoadedLedger account = load(ledger_text({
            opened("open", opening),
            chat("u1", "2026-01-01T09:00:00Z", "t1", "s1", {.output = 30}),
            late,
            early,
        }));
        const json between = account_report(account, "2026-01-01T10:30:00Z");
        CHECK(usage_of(between["usage"]) == figures(0, 0, 0, 0, 30, 0));
        const json project = project_report(account, "p1", "2026-01-02T00:00:00Z");
        REQUIRE(project["tasks"].size() == 1);
        CHECK(project["tasks"][0]["status"] == "cancelled");
        CHECK(project["tasks"][0]["cancelled_at"] == "2026-01-01T10:00:00Z");
        CHECK(project["tasks"][0]["cancel_reason"] == "wrong branch");
    }
}

TEST_CASE("§8 pending: a session is pending at T until completed or cancelled, whichever comes after T") {
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
        chat("u2", "2026-01-01T10:00:00Z", "t2", "s1", {.output = 40}),
        completed("c1", "2026-01-01T12:00:00Z", "t1", "s1"),
        cancelled("x2", "2026-01-01T12:00:00Z", "t2"),
    }));
    CHECK(usage_of(account_report(account, "2026-01-01T11:59:59Z")["usage"]) == figures(0, 0, 0, 0, 0, 70));
    CHECK(usage_of(account_report(account, "2026-01-01T12:00:00Z")["usage"]) == figures(30, 0, 0, 0, 40, 0));
}

// ---------------------------------------------------------------------------
// §10 Same-instant order: expiries, grants, usage, completions, cancellations
// ---------------------------------------------------------------------------

TEST_CASE("§10 same instant: expiries apply before grants") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 purchased("buy", "2026-01-10T00:00:00Z", "0.05"),
                                 granted("promo", "2026-01-01T01:00:00Z", "0.01", "2026-01-10T00:00:00Z"),
                             }),
                             "2026-01-10T00:00:00Z");
    CHECK(entry_kinds(r) == std::vector<std::string>{"grant:open", "grant:promo", "expiry:promo", "grant:buy"});
    const std::vector<json> ledger(r["ledger"].begin(), r["ledger"].end());
    CHECK(tokens(ledger[2]["balance_tokens"]) == 100);  // 200 - 100 expired
    CHECK(tokens(ledger[3]["balance_tokens"]) == 600);
}

TEST_CASE("§10 same instant: grants apply before completions (a grant at T pays a charge at T)") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 300}),
                                 completed("c1", "2026-01-02T00:00:00Z", "t1", "s1"),
                                 purchased("buy", "2026-01-02T00:00:00Z", "0.05"),
                             }),
                             "2026-01-02T00:00:00Z");
    CHECK(allocations(only_charge(r)) == Allocations{{"open", 100}, {"buy", 200}});
    CHECK(tokens(r["overdraft_tokens"]) == 0);
    CHECK(entries(r, "repayment").empty());
}

TEST_CASE("§10 same instant: usage applies before its session's completion") {
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
                                 chat("u2", "2026-01-01T11:00:00Z", "t1", "s1", {.output = 5}),
                                 completed("c1", "2026-01-01T11:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-01T11:00:00Z");
    CHECK(tokens(only_charge(r)["charged_tokens"]) == 35);
    CHECK(usage_of(r["usage"]) == figures(35, 0, 0, 0, 0, 0));
}

TEST_CASE("§10 same instant: completions apply before cancellations") {
    // See also "§8 ... a completion at T itself comes first". Two sessions of one
    // task at one instant: the completed one is charged, the other is cancelled.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
                                 chat("u2", "2026-01-01T10:00:00Z", "t1", "s2", {.output = 40}),
                                 cancelled("x1", "2026-01-01T11:00:00Z", "t1"),
                                 completed("c1", "2026-01-01T11:00:00Z", "t1", "s1"),
                             }),
                             "2026-01-01T11:00:00Z");
    CHECK(usage_of(r["usage"]) == figures(30, 0, 0, 0, 40, 0));
}

TEST_CASE("§10 same instant: expiries of one instant apply in byte order of their grant ids, not in burn-down order") {
    // Burn-down order would take the promotion first (free before paid on an
    // expiry tie); the application order of expiries is by id: "a_plan" < "b_promo".
    credits::LoadedLedger account = load(ledger_text({
        opened("open", opening),
        billed_until("a_plan", "2026-01-01T01:00:00Z", "2026-01-10T00:00:00Z"),
        granted("b_promo", "2026-01-01T02:00:00Z", "0.01", "2026-01-10T00:00:00Z"),
    }));
    const json at = account_report(account, "2026-01-10T00:00:00Z");
    const std::vector<json> expiries = entries(at, "expiry");
    REQUIRE(expiries.size() == 2);
    CHECK(expiries[0]["grant_id"] == "a_plan");
    CHECK(tokens(expiries[0]["tokens"]) == 1000);
    CHECK(tokens(expiries[0]["balance_tokens"]) == 200);
    CHECK(expiries[1]["grant_id"] == "b_promo");
    CHECK(tokens(expiries[1]["tokens"]) == 100);
    CHECK(tokens(expiries[1]["balance_tokens"]) == 100);
    CHECK(tokens(at["balance_tokens"]) == 100);
}

TEST_CASE("§10 same instant: completions of one instant apply in byte order of their ids") {
    // "Z" (0x5A) before "a" (0x61): the session completed by "Z" is paid first.
    const json r = report_of(ledger_text({
                                 opened("open", opening),
                                 chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 80}),
                                 chat("u2", "2026-01-01T10:00:00Z", "t1", "s2", {.output = 80}),
                                 completed("a", "2026-01-01T11:00:00Z", "t1", "s1"),
                                 completed("Z", "2026-01-01T11:00:00Z", "t1", "s2"),
                             }),
                             "2026-01-02T00:00:00Z");
    const std::vector<json> charges = entries(r, "charge");
    REQUIRE(charges.size() == 2);
    CHECK(charges[0]["event_id"] == "Z");
    CHECK(allocations(charges[0]) == Allocations{{"open", 80}});
    CHECK(tokens(charges[0]["overdraft_tokens"]) == 0);
    CHECK(charges[1]["event_id"] == "a");
    CHECK(allocations(charges[1]) == Allocations{{"open", 20}});
    CHECK(tokens(charges[1]["overdraft_tokens"]) == 60);
}

// ---------------------------------------------------------------------------
// §9 Not transferable, not cashable
// ---------------------------------------------------------------------------

TEST_CASE("§9 a credits_transferred event is rejected (not_transferable)") {
    const json transfer{{"id", "t1"}, {"type", "credits_transferred"}, {"at", "2026-01-02T00:00:00Z"}, {"credits", 10},
                        {"to_account", "acct_2"}};
    const json errors = rejection(ledger_text({opened("open", opening), transfer}));
    CHECK(has_error(errors, "not_transferable", "t1"));
    CHECK(errors[0]["pointer"] == "/events/1/type");
}

TEST_CASE("§9 a credits_redeemed event is rejected (not_redeemable)") {
    const json redeem{{"id", "r1"}, {"type", "credits_redeemed"}, {"at", "2026-01-02T00:00:00Z"}, {"credits", 10}};
    const json errors = rejection(ledger_text({opened("open", opening), redeem}));
    CHECK(has_error(errors, "not_redeemable", "r1"));
}

TEST_CASE("§9 an event naming another account is rejected (account_mismatch); naming this one is fine") {
    json ours = purchased("buy", "2026-01-02T00:00:00Z", 1);
    ours["account_id"] = "acct_1";
    const json r = report_of(ledger_text({opened("open", opening), ours}), "2026-01-03T00:00:00Z");
    CHECK(tokens(grant(r, "buy")["granted_tokens"]) == 10000);

    json theirs = purchased("buy2", "2026-01-02T00:00:00Z", 1);
    theirs["account_id"] = "acct_2";
    const json errors = rejection(ledger_text({opened("open", opening), ours, theirs}));
    CHECK(has_error(errors, "account_mismatch", "buy2"));
    CHECK_FALSE(has_error(errors, "account_mismatch", "buy"));
    CHECK(errors[0]["pointer"] == "/events/2/account_id");
}

// ---------------------------------------------------------------------------
// §10 The ledger document
// ---------------------------------------------------------------------------

TEST_CASE("§10 an exact duplicate is ignored and counted, whatever its member order") {
    const std::string usage_a =
        R"({"id":"u1","type":"usage","at":"2026-01-01T10:00:00Z","project_id":"p1","task_id":"t1","session_id":"s1","service":"agent_chat","tokens":{"output":30,"input_cache_miss":20,"input_cache_hit":5}})";
    const std::string usage_b =
        R"({"tokens":{"input_cache_hit":5,"output":30,"input_cache_miss":20},"service":"agent_chat","session_id":"s1","task_id":"t1","project_id":"p1","at":"2026-01-01T10:00:00Z","type":"usage","id":"u1"})";
    const std::string purchase = R"({"id":"buy","type":"credits_purchased","at":"2026-01-01T09:00:00Z","credits":"0.05"})";
    const std::string completion = completed("c1", "2026-01-01T11:00:00Z", "t1", "s1").dump();
    const std::string open = opened("open", opening).dump();

    const json once = report_of(ledger_text_raw({open, purchase, usage_a, completion}), "2026-01-02T00:00:00Z");
    const json twice = report_of(ledger_text_raw({open, purchase, usage_a, completion, usage_b, purchase, open}),
                                 "2026-01-02T00:00:00Z");
    CHECK(once["duplicates_ignored"] == 0);
    CHECK(twice["duplicates_ignored"] == 3);
    json without_count = twice;
    without_count["duplicates_ignored"] = 0;
    CHECK(without_count == once);
    CHECK(usage_of(twice["usage"]) == figures(50, 5, 0, 0, 0, 0));
    CHECK(tokens(twice["balance_tokens"]) == 550);
}

TEST_CASE("§10 the same id with different content is rejected (duplicate_id_conflict)") {
    const json errors = rejection(ledger_text({
        opened("open", opening),
        purchased("buy", "2026-01-02T00:00:00Z", 1),
        purchased("buy", "2026-01-02T00:00:00Z", 2),
    }));
    CHECK(has_error(errors, "duplicate_id_conflict", "buy"));
    CHECK(errors[0]["pointer"] == "/events/2");
    // Different types under one id conflict too.
    CHECK(has_error(rejection(ledger_text({opened("open", opening), purchased("x", "2026-01-02T00:00:00Z", 1),
                                           completed("x", "2026-01-02T00:00:00Z", "t1", "s1")})),
                    "duplicate_id_conflict", "x"));
}

TEST_CASE("§10 the result depends on the set of events, not on the order they are listed in") {
    json bill = billed("bill", "2026-01-05T00:00:00Z");
    const std::vector<json> events{
        opened("open", opening),
        purchased("buy", "2026-01-02T00:00:00Z", "0.05"),
        granted("promo", "2026-01-03T00:00:00Z", "0.01", "2026-01-20T00:00:00Z"),
        bill,
        billed("bill_failed", "2026-02-05T00:00:00Z", "premium", "failed"),
        chat("u1", "2026-01-04T10:00:00Z", "t1", "s1", {.output = 300, .miss = 100, .hit = 50}),
        chat("u2", "2026-01-04T10:00:00Z", "t1", "s2", {.output = 70, .hit = 5}),
        completed("c1", "2026-01-04T11:00:00Z", "t1", "s1"),
        completed("c2", "2026-01-04T11:00:00Z", "t1", "s2"),
        summarization("u3", "2026-01-04T11:30:00Z", "t1", "s1", {.output = 9}),
        chat("u4", "2026-01-06T10:00:00Z", "t2", "s1", {.output = 40}),
        cancelled("x2", "2026-01-06T11:00:00Z", "t2"),
        chat("u5", "2026-01-07T10:00:00Z", "t3", "s1", {.output = 2000}),
        completed("c5", "2026-01-07T11:00:00Z", "t3", "s1"),
        service("u6", "2026-01-08T10:00:00Z", "deploy", {.output = 3}, "p2"),
        chat("u7", "2026-02-01T10:00:00Z", "t4", "s1", {.output = 1}, "p2"),
        purchased("buy2", "2026-02-10T00:00:00Z", 1),
    };
    const auto answers = [](const std::vector<json>& listed) {
        credits::LoadedLedger account = load(ledger_text(listed));
        std::vector<std::string> out;
        for (const char* at : {"2026-01-04T11:00:00Z", "2026-01-20T00:00:00Z", "2026-03-01T00:00:00Z"}) {
            out.push_back(account.report(at).json);
            out.push_back(account.project("p1", at).json);
            out.push_back(account.forecast(at).json);
        }
        return out;
    };
    const std::vector<std::string> expected = answers(events);
    // Hand-worked: c1 (400) at 01-04 11:00 takes promo 100, open 100, buy 200; c2 (70) then takes
    // buy 70; c5 (2,000) at 01-07 takes bill 1,000 and buy 230, overdrawing 770.
    const json mid = json::parse(expected[3]);
    CHECK(tokens(mid["balance_tokens"]) == -770);
    CHECK(tokens(mid["overdraft_tokens"]) == 770);
    const json end = json::parse(expected[6]);
    CHECK(tokens(end["balance_tokens"]) == 9230);  // buy2's 10,000 repays 770
    check_account_report(end);

    std::vector<json> permuted = events;
    std::reverse(permuted.begin(), permuted.end());
    CHECK(answers(permuted) == expected);
    std::mt19937 random(20260101);
    for (int round = 0; round < 5; ++round) {
        std::shuffle(permuted.begin(), permuted.end(), random);
        CHECK(answers(permuted) == expected);
    }
}

TEST_CASE("§10 events after T are validated but not applied (events_after_at)") {
    const std::vector<json> events{
        opened("open", opening),
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 30}),
        purchased("buy", "2026-01-03T00:00:00Z", "0.05"),
        completed("c1", "2026-01-03T00:00:00Z", "t1", "s1"),
        chat("u2", "2026-01-04T00:00:00Z", "t2", "s1", {.output = 9}),
        cancelled("x2", "2026-01-05T00:00:00Z", "t2"),
    };
    const json r = report_of(ledger_text(events), "2026-01-02T00:00:00Z");
    CHECK(r["events_after_at"] == 4);
    CHECK(r["grants"].size() == 1);
    CHECK(usage_of(r["usage"]) == figures(0, 0, 0, 0, 0, 30));
    CHECK(tokens(r["balance_tokens"]) == 100);

    // An invalid event after T still rejects the whole document.
    std::vector<json> bad = events;
    bad.push_back(chat("u3", "2027-01-01T00:00:00Z", "t9", "s1", {.output = -1}));
    CHECK(has_error(rejection(ledger_text(bad)), "invalid_number", "u3"));
}

TEST_CASE("§10 no event is dated before the account's opening (event_before_opening)") {
    const json errors = rejection(ledger_text({
        purchased("early", "2025-12-31T23:59:59.999999999Z", 1),
        opened("open", opening),
        purchased("same", opening, 1),  // at the opening itself is fine
    }));
    CHECK(has_error(errors, "event_before_opening", "early"));
    CHECK_FALSE(has_error(errors, "event_before_opening", "same"));
    CHECK(errors.size() == 1);
    CHECK(errors[0]["pointer"] == "/events/0/at");
}

TEST_CASE("§10 exactly one account_opened") {
    CHECK(rejection_codes(ledger_text({purchased("buy", opening, 1)})) == std::vector<std::string>{"missing_account_opened"});
    const json errors = rejection(ledger_text({opened("open", opening), opened("open2", "2026-01-02T00:00:00Z")}));
    CHECK(has_error(errors, "duplicate_account_opened", "open2"));
}

TEST_CASE("§10 every project_id an event names is listed in projects (unknown_project)") {
    const json errors = rejection(ledger_text({
        opened("open", opening),
        chat("u1", "2026-01-01T10:00:00Z", "t1", "s1", {.output = 1}, "p_missing"),
        service("u2", "2026-01-01T10:00:00Z", "build", {.output = 1}, "p_missing"),
        cancelled("x1", "2026-01-01T11:00:00Z", "t1", "p_other"),
    }));
    CHECK(has_error(errors, "unknown_project", "u1"));
    CHECK(has_error(errors, "unknown_project", "x1"));
    CHECK(errors.size() == 2);  // one error per unknown project, at its first mention
    CHECK(errors[0]["pointer"] == "/events/1/project_id");
}

TEST_CASE("§10 a session completes once (duplicate_completion)") {
    const json errors = rejection(ledger_text({
        opened("open", opening),
        completed("c1", "2026-01-01T10:00:00Z", "t1", "s1"),
        completed("c2", "2026-01-01T11:00:00Z", "t1", "s1"),
    }));
    CHECK(has_error(errors, "duplicate_completion", "c2"));
}

TEST_CASE("§10 expires_at and period_end must come after the event's at (not_after_event)") {
    CHECK(has_error(rejection(ledger_text({opened("open", opening),
                                           granted("g", "2026-01-02T00:00:00Z", 1, "2026-01-02T00:00:00Z")})),
                    "not_after_event", "g"));
    CHECK(has_error(rejection(ledger_text({opened("open", opening),
                                           billed_until("b", "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z")})),
                    "not_after_event", "b"));
    // One nanosecond after is enough.
    const json r = report_of(ledger_text({opened("open", opening),
                                          granted("g", "2026-01-02T00:00:00Z", 1, "2026-01-02T00:00:00.000000001Z")}),
                             "2026-01-02T00:00:00Z");
    CHECK(grant(r, "g")["active"] == true);
}

TEST_CASE("§10 one session of 1,025 maximal records is rejected (amount_out_of_range), its sums never overflowing") {
    // 1,025 x (2^53 - 1) passes INT64_MAX: the session's sums must stop at the
    // document's limit, not wrap (UBSan in the native-debug build traps a wrap).
    std::vector<json> events{opened("open", opening)};
    const Tokens maximal{.output = credits::amount_tokens_max, .miss = credits::amount_tokens_max};
    for (int i = 0; i < 1025; ++i)
        events.push_back(chat("u" + std::to_string(i), "2026-01-02T00:00:00Z", "t1", "s1", maximal));
    events.push_back(completed("c1", "2026-01-03T00:00:00Z", "t1", "s1"));
    CHECK(rejection_codes(ledger_text(events)) == std::vector<std::string>{"amount_out_of_range"});
}

TEST_CASE("§10 purchased and granted credits must be more than 0") {
    CHECK(has_error(rejection(ledger_text({opened("open", opening), purchased("b", "2026-01-02T00:00:00Z", 0)})),
                    "invalid_amount", "b"));
    CHECK(has_error(rejection(ledger_text({opened("open", opening), granted("g", "2026-01-02T00:00:00Z", "0.0000")})),
                    "invalid_amount", "g"));
}
