// The figures the console shows that involve a rule, answered by the core so
// the console only formats them (docs/report-format.md): the account
// report's billing_period ("This period" and the low-balance warning's
// basis) and the forecast's replay, likely_unused and next_expiry.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

const std::string opening = "2026-01-01T00:00:00Z";

json period_of(const std::vector<json>& events, const std::string& at, const json& account = json{{"id", "acct_1"}}) {
    credits::LoadedLedger a = load(ledger_text(events, account));
    return account_report(a, at)["billing_period"];
}

json forecast_at(const std::vector<json>& events, const std::string& at) {
    credits::LoadedLedger a = load(ledger_text(events));
    return forecast(a, at);
}

std::vector<std::string> ids(const json& array) { return array.get<std::vector<std::string>>(); }

}  // namespace

TEST_CASE("billing period: no plan at all is the calendar month of T, every active grant its basis") {
    const std::vector<json> events{opened("open", opening), purchased("buy", "2026-01-05T00:00:00Z", 1),
                                   chat("u1", "2026-03-10T00:00:00Z", "t1", "s1", {.output = 2525}),
                                   completed("c1", "2026-03-10T00:00:00Z", "t1", "s1")};
    const json p = period_of(events, "2026-03-15T12:00:00Z");
    CHECK(p["basis"] == "calendar_month");
    CHECK(p["start"] == "2026-03-01T00:00:00Z");
    CHECK(p["end"] == "2026-04-01T00:00:00Z");
    CHECK(p["usage_from"] == "2026-03-01T00:00:00Z");
    CHECK(ids(p["grant_ids"]) == std::vector<std::string>{"open", "buy"});
    CHECK(tokens(p["granted_tokens"]) == 100 + 10'000);
    CHECK(tokens(p["used_tokens"]) == 2525);
    CHECK(p["used_bp"] == 2525 * 10'000 / 10'100);  // 2,500: exact integers, rounded down
}

TEST_CASE("billing period: the calendar month is counted in the account's offset, and clipped at the opening") {
    const json account{{"id", "acct_1"}, {"utc_offset", "+08:00"}};
    // 2026-12-31T20:00Z is January 1 at 04:00 in +08:00: the month is January 2027 there.
    const json p = period_of({opened("open", "2026-12-20T00:00:00Z")}, "2026-12-31T20:00:00Z", account);
    CHECK(p["start"] == "2026-12-31T16:00:00Z");
    CHECK(p["end"] == "2027-01-31T16:00:00Z");
    CHECK(p["usage_from"] == "2026-12-31T16:00:00Z");
    // Opened in the middle of the month: the usage range starts at the opening.
    const json q = period_of({opened("open", "2026-12-20T00:00:00Z")}, "2026-12-25T00:00:00Z", account);
    CHECK(q["start"] == "2026-11-30T16:00:00Z");
    CHECK(q["usage_from"] == "2026-12-20T00:00:00Z");
}

TEST_CASE("billing period: the active plan grant's period, its plan credits the basis") {
    std::vector<json> events{opened("open", opening), billed("b1", "2026-03-05T00:00:00Z"),
                             chat("u1", "2026-03-06T00:00:00Z", "t1", "s1", {.output = 400}),
                             completed("c1", "2026-03-06T00:00:00Z", "t1", "s1")};
    const json p = period_of(events, "2026-03-20T00:00:00Z");
    CHECK(p["basis"] == "plan");
    CHECK(p["start"] == "2026-03-05T00:00:00Z");
    CHECK(p["end"] == "2026-04-05T00:00:00Z");
    CHECK(p["usage_from"] == "2026-03-05T00:00:00Z");
    CHECK(ids(p["grant_ids"]) == std::vector<std::string>{"b1"});
    // The charge burns the plan first (it expires soonest): 400 of its 1,000 tokens.
    CHECK(tokens(p["granted_tokens"]) == 1000);
    CHECK(tokens(p["used_tokens"]) == 400);
    CHECK(p["used_bp"] == 4000);
}

TEST_CASE("billing period: a plan period that ended falls back to the calendar month") {
    const std::vector<json> events{opened("open", opening), billed_until("b1", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")};
    const json p = period_of(events, "2026-03-10T00:00:00Z");
    CHECK(p["basis"] == "calendar_month");
    CHECK(p["start"] == "2026-03-01T00:00:00Z");
    CHECK(ids(p["grant_ids"]) == std::vector<std::string>{"open"});  // the expired plan grant is not active
    CHECK(tokens(p["granted_tokens"]) == 100);
    CHECK(p["used_bp"] == 0);
    // At its last instant the period still holds.
    CHECK(period_of(events, "2026-02-28T23:59:59.999999999Z")["basis"] == "plan");
}

TEST_CASE("billing period: several plan grants count together; the bounds are the latest-starting one's") {
    json upgrade = billed_until("b2", "2026-03-15T00:00:00Z", "2026-04-15T00:00:00Z", "premium");
    json early = billed_until("b3", "2026-03-18T00:00:00Z", "2026-05-05T00:00:00Z");
    early["period_start"] = "2026-04-05T00:00:00Z";  // billed ahead: its period has not begun at T
    const std::vector<json> events{opened("open", opening), billed("b1", "2026-03-05T00:00:00Z"), upgrade, early,
                                   chat("u1", "2026-03-16T00:00:00Z", "t1", "s1", {.output = 1500}),
                                   completed("c1", "2026-03-16T00:00:00Z", "t1", "s1")};
    const json p = period_of(events, "2026-03-20T00:00:00Z");
    CHECK(p["basis"] == "plan");
    CHECK(p["start"] == "2026-03-15T00:00:00Z");
    CHECK(p["end"] == "2026-04-15T00:00:00Z");
    CHECK(ids(p["grant_ids"]) == std::vector<std::string>{"b1", "b2"});
    CHECK(tokens(p["granted_tokens"]) == 1000 + 3000);
    CHECK(tokens(p["used_tokens"]) == 1500);  // b1 (expires first) 1,000, then b2 500
    CHECK(p["used_bp"] == 3750);
}

TEST_CASE("billing period: nothing granted at T has no used share") {
    // T before the opening: no grant exists yet.
    const json p = period_of({opened("open", "2026-05-10T00:00:00Z")}, "2026-05-01T00:00:00Z");
    CHECK(p["basis"] == "calendar_month");
    CHECK(p["grant_ids"].empty());
    CHECK(tokens(p["granted_tokens"]) == 0);
    CHECK(p["used_bp"].is_null());
    CHECK(p["usage_from"] == "2026-05-01T00:00:00Z");  // never after T
}

TEST_CASE("replay: the window's sessions with their output, cache misses and cache hits, counted at completion") {
    const std::string T = "2026-03-01T00:00:00Z";  // the window is (2026-01-30, T]
    const std::vector<json> events{
        opened("open", opening), purchased("buy", "2026-01-01T00:00:00Z", 100),
        // Used before the window, completed in it: counted, hits too.
        chat("u1", "2026-01-20T00:00:00Z", "t1", "s1", {.output = 100, .miss = 200, .hit = 3000}),
        completed("c1", "2026-02-10T00:00:00Z", "t1", "s1"),
        // Completed exactly at T - 30 days: outside, as in the forecast's rate.
        chat("u2", "2026-01-29T00:00:00Z", "t2", "s1", {.output = 7, .miss = 7, .hit = 7}),
        completed("c2", "2026-01-30T00:00:00Z", "t2", "s1"),
        // Used in the window but still in progress at T: not charged, not counted.
        chat("u3", "2026-02-20T00:00:00Z", "t3", "s1", {.output = 50, .miss = 50, .hit = 50000}),
        // Cancelled: not counted.
        chat("u4", "2026-02-20T00:00:00Z", "t4", "s1", {.output = 5, .miss = 5, .hit = 5}),
        cancelled("x4", "2026-02-21T00:00:00Z", "t4"),
        // Summarization is free and not part of a month's agent chat.
        summarization("u5", "2026-02-11T00:00:00Z", "t1", "s2", {.output = 999, .miss = 999, .hit = 999}),
        // Completed at T: inside.
        chat("u6", "2026-02-28T00:00:00Z", "t6", "s1", {.output = 1, .miss = 2, .hit = 3}),
        completed("c6", T, "t6", "s1")};
    const json f = forecast_at(events, T);
    const json& r = f["replay"];
    CHECK(tokens(r["output_tokens"]) == 101);
    CHECK(tokens(r["input_cache_miss_tokens"]) == 202);
    CHECK(tokens(r["input_cache_hit_tokens"]) == 3003);
    CHECK(tokens(r["input_tokens"]) == 3205);
    CHECK(r["cache_hit_rate_bp"] == 3003 * 10'000 / 3205);
    // The same window as the rate: output + cache misses are its charged tokens.
    CHECK(tokens(f["window_charged_tokens"]) == 303);
}

TEST_CASE("replay: the cache-hit rate is exact for hit counts whose x 10,000 passes 2^53") {
    const std::int64_t hit = std::int64_t{1} << 52;
    const std::vector<json> events{opened("open", opening),
                                   chat("u1", "2026-02-20T00:00:00Z", "t1", "s1", {.output = 1, .miss = 3, .hit = hit}),
                                   completed("c1", "2026-02-20T00:00:00Z", "t1", "s1")};
    const json r = forecast_at(events, "2026-03-01T00:00:00Z")["replay"];
    CHECK(tokens(r["input_tokens"]) == hit + 3);
    // floor(2^52 x 10,000 / (2^52 + 3)) = 9,999 (a double rounds the product).
    __extension__ const __int128 exact = static_cast<__int128>(hit) * 10'000 / (hit + 3);
    CHECK(r["cache_hit_rate_bp"] == static_cast<std::int64_t>(exact));
    CHECK(r["cache_hit_rate_bp"] == 9999);
}

TEST_CASE("replay: fed into quote, the month needs the window's charged tokens, never fewer") {
    const std::vector<json> events{opened("open", opening),
                                   chat("u1", "2026-02-20T00:00:00Z", "t1", "s1", {.output = 12'345, .miss = 67'891, .hit = 333'333}),
                                   completed("c1", "2026-02-20T00:00:00Z", "t1", "s1")};
    const json f = forecast_at(events, "2026-03-01T00:00:00Z");
    const json& r = f["replay"];
    const json input{{"output_tokens", r["output_tokens"]}, {"input_tokens", r["input_tokens"]},
                     {"cache_hit_rate_bp", r["cache_hit_rate_bp"]}};
    const credits::Answer answer = small_engine().quote(input.dump());
    INFO(answer.json);
    REQUIRE(answer.ok);
    const json q = json::parse(answer.json);
    const std::int64_t charged = tokens(f["window_charged_tokens"]);
    CHECK(tokens(q["needed_tokens"]) >= charged);
    // The rate is rounded down to a basis point: at most input / 10,000 (+1) more.
    CHECK(tokens(q["needed_tokens"]) <= charged + tokens(r["input_tokens"]) / 10'000 + 1);
}

TEST_CASE("replay: an account younger than 30 days replays what it has; T before any usage replays nothing") {
    const std::vector<json> events{opened("open", "2026-02-25T00:00:00Z"),
                                   chat("u1", "2026-02-26T00:00:00Z", "t1", "s1", {.output = 10, .miss = 20, .hit = 30}),
                                   completed("c1", "2026-02-26T00:00:00Z", "t1", "s1")};
    const json young = forecast_at(events, "2026-03-01T00:00:00Z");
    CHECK(young["window_start"] == "2026-02-25T00:00:00Z");
    CHECK(tokens(young["replay"]["output_tokens"]) == 10);
    CHECK(tokens(young["replay"]["input_tokens"]) == 50);
    CHECK(young["replay"]["cache_hit_rate_bp"] == 6000);
    const json before = forecast_at(events, "2026-02-25T12:00:00Z");
    for (const char* name : {"output_tokens", "input_cache_miss_tokens", "input_cache_hit_tokens", "input_tokens"})
        CHECK(tokens(before["replay"][name]) == 0);
    CHECK(before["replay"]["cache_hit_rate_bp"] == 0);
}

TEST_CASE("forecast: likely_unused sums the grants; next_expiry is the account report's expires_next") {
    const std::string T = "2026-03-01T00:00:00Z";
    // 1 token a second (2,592,000 in 30 days); g1 and g2 expire together at T + 5,000 s.
    const std::vector<json> events{
        opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 300),
        chat("u1", "2026-02-15T00:00:00Z", "t1", "s1", {.output = 2'592'000}),
        completed("c1", "2026-02-15T00:00:00Z", "t1", "s1"),
        granted("g1", "2026-02-20T00:00:00Z", 1, "2026-03-01T01:23:20Z"),
        granted("g2", "2026-02-20T00:00:00Z", 1, "2026-03-01T01:23:20Z"),
        granted("g3", "2026-02-20T00:00:00Z", 1, "2026-06-01T00:00:00Z")};
    credits::LoadedLedger account = load(ledger_text(events));
    const json f = forecast(account, T);
    const json r = account_report(account, T);
    std::int64_t sum = 0;
    for (const json& g : f["grants"]) sum += tokens(g["likely_unused_tokens"]);
    CHECK(tokens(f["likely_unused_tokens"]) == sum);
    // g1 burns 5,000 of its 10,000 before both expire: 5,000 + 10,000 unused then; g3 is used up later.
    CHECK(tokens(f["next_expiry"]["likely_unused_tokens"]) == 15'000);
    CHECK(sum == 15'000);
    CHECK(f["next_expiry"]["expires_at"] == r["expires_next"]["expires_at"]);
    CHECK(f["rate_credits_per_day"] == "8.6400");
    // Nothing that expires: null.
    const json none = forecast_at({opened("open", opening)}, T);
    CHECK(none["next_expiry"].is_null());
    CHECK(tokens(none["likely_unused_tokens"]) == 0);
}
