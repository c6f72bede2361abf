// Spec §12 "Forecast" at T: rate = tokens charged by sessions completed in
// (T - 30 days, T] over that window (clipped at the opening); simulate forward
// at that rate with the grants that exist at T, in burn-down order, applying
// expiries; runs_out_at is the first instant the balance reaches 0 or below
// (T if it already is, null if the rate is 0), rounded up to the second.
//
// T is 2026-03-01T00:00:00Z throughout, so the window starts 2026-01-30.
// A charge of 2,592,000 tokens in 30 days (2,592,000 s) is 1 token a second.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

const std::string opening = "2026-01-01T00:00:00Z";
const std::string T = "2026-03-01T00:00:00Z";
constexpr std::int64_t one_a_second = 2'592'000;  // tokens in 30 days

// A session of `charged` tokens completed at `at`.
std::vector<json> charge(const std::string& id, const std::string& at, std::int64_t charged) {
    return {chat("u_" + id, at, "t_" + id, "s1", {.output = charged}), completed("c_" + id, at, "t_" + id, "s1")};
}

json forecast_of(std::vector<json> events, const std::string& at = T) {
    credits::Account account = load(ledger_text(events));
    json f = forecast(account, at);
    // The forecast's balance is the account report's.
    CHECK(f["balance_tokens"] == account_report(account, at)["balance_tokens"]);
    return f;
}

std::vector<json> with(std::vector<json> events, const std::vector<json>& more) {
    events.insert(events.end(), more.begin(), more.end());
    return events;
}

json forecast_grant(const json& f, const std::string& id) {
    for (const json& g : f["grants"])
        if (g["id"] == id) return g;
    FAIL("no grant " << id << " in the forecast");
    return nullptr;
}

}  // namespace

TEST_CASE("§12 forecast: the rate over the last 30 days and when the balance runs out") {
    const json f = forecast_of(with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 1000)},
                                    charge("a", "2026-02-15T00:00:00Z", one_a_second)));
    CHECK(f["kind"] == "forecast");
    CHECK(f["account_id"] == "acct_1");
    CHECK(f["at"] == T);
    CHECK(f["window_start"] == "2026-01-30T00:00:00Z");
    CHECK(f["window_end"] == T);
    CHECK(f["window_seconds"] == 2'592'000);
    CHECK(tokens(f["window_charged_tokens"]) == one_a_second);
    CHECK(f["rate_tokens_per_day"] == 86'400);
    // 100 + 10,000,000 - 2,592,000 = 7,408,100 tokens at 1 a second.
    CHECK(tokens(f["balance_tokens"]) == 7'408'100);
    CHECK(f["runs_out_at"] == "2026-05-25T17:48:20Z");
    CHECK(f["grants"].empty());  // no grant with an expiry
}

TEST_CASE("§12 forecast: runs_out_at is rounded up to the second") {
    // 7 tokens in 30 days, 93 left: 93 x 2,592,000 s / 7 = 34,436,571.43 s -> 34,436,572 s.
    const json f = forecast_of(with({opened("open", opening)}, charge("a", "2026-02-15T00:00:00Z", 7)));
    CHECK(tokens(f["balance_tokens"]) == 93);
    CHECK(f["rate_tokens_per_day"] == 0);  // informative, rounded down
    CHECK(f["runs_out_at"] == "2027-04-03T13:42:52Z");
}

TEST_CASE("§12 forecast: the window is (T - 30 days, T]") {
    const json f = forecast_of(with(with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 1)},
                                         charge("edge", "2026-01-30T00:00:00Z", 5)),  // at T - 30 days: outside
                                    charge("now", T, 7)));                            // at T: inside
    CHECK(tokens(f["window_charged_tokens"]) == 7);
    const json g = forecast_of(with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 1)},
                                    charge("edge", "2026-01-30T00:00:00.000000001Z", 5)));
    CHECK(tokens(g["window_charged_tokens"]) == 5);
}

TEST_CASE("§12 forecast: the window is clipped at the account's opening") {
    // Opened 10 days before T: 864 tokens in 864,000 s is 0.001 a second.
    const json f = forecast_of(with({opened("open", "2026-02-19T00:00:00Z"), purchased("buy", "2026-02-19T00:00:00Z", 1)},
                                    charge("a", "2026-02-20T00:00:00Z", 864)));
    CHECK(f["window_start"] == "2026-02-19T00:00:00Z");
    CHECK(f["window_seconds"] == 864'000);
    CHECK(f["rate_tokens_per_day"] == 86);
    // 10,100 - 864 = 9,236 tokens at 0.001 a second: 9,236,000 s.
    CHECK(tokens(f["balance_tokens"]) == 9236);
    CHECK(f["runs_out_at"] == "2026-06-15T21:33:20Z");
}

TEST_CASE("§12 forecast: a grant expiring in the middle of the projection leaves its rest unused") {
    // After the charge: buy has 408,100 left; the promotion's 100,000 burn first (it
    // expires soonest), 50,000 of them until it expires at T + 50,000 s.
    const std::vector<json> base = with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 300)},
                                        charge("a", "2026-02-15T00:00:00Z", one_a_second));
    const json f = forecast_of(with(base, {granted("promo", "2026-02-20T00:00:00Z", 10, "2026-03-01T13:53:20Z")}));
    CHECK(tokens(f["balance_tokens"]) == 508'100);
    REQUIRE(f["grants"].size() == 1);
    const json promo = forecast_grant(f, "promo");
    CHECK(promo["source"] == "promotion");
    CHECK(promo["expires_at"] == "2026-03-01T13:53:20Z");
    CHECK(tokens(promo["remaining_tokens"]) == 100'000);
    CHECK(tokens(promo["likely_unused_tokens"]) == 50'000);
    // Then buy's 408,100 at 1 a second: T + 458,100 s.
    CHECK(f["runs_out_at"] == "2026-03-06T07:15:00Z");

    // Expiring later than it lasts, the promotion is used up: nothing unused.
    const json later = forecast_of(with(base, {granted("promo", "2026-02-20T00:00:00Z", 10, "2026-03-10T00:00:00Z")}));
    CHECK(tokens(forecast_grant(later, "promo")["likely_unused_tokens"]) == 0);
    CHECK(later["runs_out_at"] == "2026-03-06T21:08:20Z");  // T + 508,100 s
}

TEST_CASE("§12 forecast: when everything left expires before it is spent, it runs out at that expiry") {
    // The charge uses every token bought; only the promotion is left, and half of it expires.
    const std::vector<json> base = with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", "259.19")},
                                        charge("a", "2026-02-15T00:00:00Z", one_a_second));
    const json f = forecast_of(with(base, {granted("promo", "2026-02-20T00:00:00Z", 10, "2026-03-01T13:53:20Z")}));
    CHECK(tokens(f["balance_tokens"]) == 100'000);
    CHECK(tokens(forecast_grant(f, "promo")["likely_unused_tokens"]) == 50'000);
    CHECK(f["runs_out_at"] == "2026-03-01T13:53:20Z");
    // An expiry with a fraction of a second is rounded up like every runs_out_at.
    const json g = forecast_of(with(base, {granted("promo", "2026-02-20T00:00:00Z", 10, "2026-03-01T13:53:20.5Z")}));
    CHECK(g["runs_out_at"] == "2026-03-01T13:53:21Z");
}

TEST_CASE("§12 forecast: several grants expiring at different instants, in burn-down order") {
    // 1 token a second from T. g1 (10,000, expires T + 5,000 s) burns first and leaves
    // 5,000 unused; g2 (10,000, expires T + 30,000 s) burns from T + 5,000 s and is
    // used up by T + 15,000 s; then buy's 8,100 by T + 23,100 s.
    const std::vector<json> events = with(
        {opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 260)},  // 2,600,000
        charge("a", "2026-02-15T00:00:00Z", one_a_second));                       // leaves buy 8,100
    const json f = forecast_of(with(events, {granted("g2", "2026-02-20T00:00:00Z", 1, "2026-03-01T08:20:00Z"),
                                             granted("g1", "2026-02-20T00:00:00Z", 1, "2026-03-01T01:23:20Z")}));
    CHECK(tokens(f["balance_tokens"]) == 28'100);
    CHECK(tokens(forecast_grant(f, "g1")["likely_unused_tokens"]) == 5'000);
    CHECK(tokens(forecast_grant(f, "g2")["likely_unused_tokens"]) == 0);
    CHECK(f["runs_out_at"] == "2026-03-01T06:25:00Z");
}

TEST_CASE("§12 forecast: no charge in the window means a rate of 0 and runs_out_at null") {
    const json f = forecast_of(with({opened("open", opening), granted("promo", "2026-01-02T00:00:00Z", 1, "2026-06-01T00:00:00Z")},
                                    charge("old", "2026-01-10T00:00:00Z", 50)));
    CHECK(tokens(f["window_charged_tokens"]) == 0);
    CHECK(f["rate_tokens_per_day"] == 0);
    CHECK(f["runs_out_at"].is_null());
    // With nothing spent, an expiring grant is likely to leave all it has.
    CHECK(tokens(forecast_grant(f, "promo")["remaining_tokens"]) == 10'000 - 50);
    CHECK(tokens(forecast_grant(f, "promo")["likely_unused_tokens"]) == 10'000 - 50);
}

TEST_CASE("§12 forecast: a balance of 0 or below has already run out: runs_out_at is T") {
    const json zero = forecast_of(with({opened("open", opening)}, charge("a", "2026-02-15T00:00:00Z", 100)));
    CHECK(tokens(zero["balance_tokens"]) == 0);
    CHECK(zero["runs_out_at"] == T);
    const json overdrawn = forecast_of(with({opened("open", opening)}, charge("a", "2026-02-15T00:00:00Z", 150)));
    CHECK(tokens(overdrawn["balance_tokens"]) == -50);
    CHECK(overdrawn["runs_out_at"] == T);
    // Even when the recent rate is 0.
    const json idle = forecast_of(with({opened("open", opening)}, charge("a", "2026-01-10T00:00:00Z", 150)));
    CHECK(tokens(idle["window_charged_tokens"]) == 0);
    CHECK(idle["runs_out_at"] == T);
}

TEST_CASE("§12 forecast: a balance that outlasts 2200-01-01 never runs out within the instant range") {
    // 1 token in 30 days, 1,000,000 left: about 82,000 years.
    const json f = forecast_of(with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 100)},
                                    charge("a", "2026-02-15T00:00:00Z", 1)));
    CHECK(tokens(f["window_charged_tokens"]) == 1);
    CHECK(f["runs_out_at"].is_null());
}

TEST_CASE("§12 forecast: only active grants with an expiry are listed; grants after T are not used") {
    const json f = forecast_of(with({opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 1),
                                     granted("gone", "2026-01-02T00:00:00Z", 1, "2026-02-01T00:00:00Z"),
                                     granted("future", "2026-03-02T00:00:00Z", 1000, "2026-04-01T00:00:00Z")},
                                    charge("a", "2026-02-15T00:00:00Z", one_a_second / 1000)));
    CHECK(f["grants"].empty());
    // 10,100 - 2,592 = 7,508 tokens at 0.001 a second.
    CHECK(tokens(f["balance_tokens"]) == 7'508);
    CHECK(f["runs_out_at"] == "2026-05-26T21:33:20Z");
}
