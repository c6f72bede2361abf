// Spec §12 "Forecast" at T: rate = tokens charged by sessions completed in
// (T - 30 days, T] over that window (clipped at the opening); simulate forward
// at that rate with the grants that exist at T, in burn-down order, applying
// expiries; runs_out_at is the first instant the balance reaches 0 or below
// (T if it already is, null if the rate is 0), rounded up to the second.
//
// T is 2026-03-01T00:00:00Z throughout, so the window starts 2026-01-30.
// A charge of 2,592,000 tokens in 30 days (2,592,000 s) is 1 token a second.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "credits/burn_down.h"
#include "credits/forecast.h"
#include "credits/instant.h"
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
    credits::LoadedLedger account = load(ledger_text(events));
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

TEST_CASE("§12 forecast: a balance already run out at a fractional T runs out at T rounded up to the second") {
    const std::vector<json> events = with({opened("open", opening)}, charge("a", "2026-02-15T00:00:00Z", 150));
    const json f = forecast_of(events, "2026-03-01T00:00:00.25Z");
    CHECK(tokens(f["balance_tokens"]) == -50);
    CHECK(f["at"] == "2026-03-01T00:00:00.25Z");
    CHECK(f["runs_out_at"] == "2026-03-01T00:00:01Z");
    // A whole second stays as it is.
    CHECK(forecast_of(events, "2026-03-01T00:00:01Z")["runs_out_at"] == "2026-03-01T00:00:01Z");
    // One nanosecond after a second is the next second.
    CHECK(forecast_of(events, "2026-03-01T00:00:01.000000001Z")["runs_out_at"] == "2026-03-01T00:00:02Z");
}

TEST_CASE("§12 forecast: the rate of a window of seconds or less neither wraps nor passes 2^53") {
    constexpr std::int64_t exact_max = (std::int64_t{1} << 53) - 1;
    // 10^12 tokens charged in the first second: 8.64 x 10^16 a day, more than 2^53.
    const std::vector<json> second = with({opened("open", opening)}, charge("a", "2026-01-01T00:00:01Z", 1'000'000'000'000));
    const json f = forecast_of(second, "2026-01-01T00:00:01Z");
    CHECK(f["window_seconds"] == 1);
    CHECK(f["rate_tokens_per_day"] == exact_max);
    CHECK(f["rate_credits_per_day"] == credits::format_credits(exact_max));
    // Two days later the true rate is small again: 10^12 / 2 days + 1 s.
    const json later = forecast_of(second, "2026-01-03T00:00:01Z");
    CHECK(later["rate_tokens_per_day"] == 1'000'000'000'000 * 86'400 / 172'801);
    // A window of one nanosecond: 10^12 x 86,400 x 10^9 would wrap an int64.
    const json ns = forecast_of(with({opened("open", opening)}, charge("a", "2026-01-01T00:00:00.000000001Z", 1'000'000'000'000)),
                                "2026-01-01T00:00:00.000000001Z");
    CHECK(ns["window_seconds"] == 0);
    CHECK(ns["rate_tokens_per_day"] == exact_max);
    // An account opened at T has an empty window: rate 0.
    const json empty = forecast_of({opened("open", T)});
    CHECK(empty["window_seconds"] == 0);
    CHECK(empty["rate_tokens_per_day"] == 0);
    CHECK(empty["rate_credits_per_day"] == "0.0000");
    CHECK(empty["runs_out_at"].is_null());
}

TEST_CASE("§12 forecast: the rate in tokens per day against 128-bit arithmetic on random windows") {
    std::mt19937_64 random(20261201);
    for (int i = 0; i < 2000; ++i) {
        const std::int64_t charged = static_cast<std::int64_t>(random() % (std::uint64_t{1} << 53));
        const std::int64_t window = 1 + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(credits::forecast_window_ns));
        __extension__ using U128 = unsigned __int128;
        const U128 exact = static_cast<U128>(charged) * credits::nanos_per_day / window;
        const std::int64_t expected = exact > static_cast<U128>(credits::amount_tokens_max)
                                          ? credits::amount_tokens_max : static_cast<std::int64_t>(exact);
        INFO("charged " << charged << " window " << window);
        REQUIRE(credits::rate_tokens_per_day(charged, window) == expected);
    }
    CHECK(credits::rate_tokens_per_day(credits::amount_tokens_max, credits::forecast_window_ns) == credits::amount_tokens_max / 30);
    CHECK(credits::rate_tokens_per_day(5, 0) == 0);
}

namespace {

// The simulation as the spec words it, one segment between expiries at a time,
// each segment walking every grant (quadratic, kept here as the reference).
credits::ForecastProjection reference_projection(const credits::Ledger& ledger, const credits::BurnDownState& state,
                                                 std::int64_t charged, std::int64_t window_ns) {
    __extension__ using Wide = __int128;
    credits::ForecastProjection out;
    out.likely_unused_tokens.assign(ledger.grants.size(), 0);
    const auto up = [](Wide t) -> std::optional<std::int64_t> {
        const Wide r = (t + credits::nanos_per_second - 1) / credits::nanos_per_second * credits::nanos_per_second;
        if (r >= credits::instant_end_ns) return std::nullopt;
        return static_cast<std::int64_t>(r);
    };
    if (state.balance_tokens() <= 0) {
        out.runs_out_at_ns = up(state.at_ns);
        return out;
    }
    std::vector<std::uint32_t> order;
    for (std::uint32_t g = 0; g < ledger.grants.size(); ++g)
        if (state.grants[g].active && state.grants[g].remaining_tokens > 0) order.push_back(g);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return credits::burns_before(ledger.grants[a], ledger.grants[b]);
    });
    std::vector<std::int64_t> remaining(ledger.grants.size(), 0);
    for (const std::uint32_t g : order) remaining[g] = state.grants[g].remaining_tokens;
    if (charged == 0 || window_ns == 0) {
        for (const std::uint32_t g : order) out.likely_unused_tokens[g] = remaining[g];
        return out;
    }
    std::vector<std::int64_t> expiries;
    for (const std::uint32_t g : order)
        if (ledger.grants[g].expires()) expiries.push_back(ledger.grants[g].expires_at_ns);
    std::sort(expiries.begin(), expiries.end());
    expiries.erase(std::unique(expiries.begin(), expiries.end()), expiries.end());
    expiries.push_back(credits::instant_never_ns);
    Wide so_far = 0;
    for (const std::int64_t end : expiries) {
        Wide available = 0;
        for (const std::uint32_t g : order) available += remaining[g];
        const bool open = end == credits::instant_never_ns;
        const Wide at_end = open ? 0 : Wide{charged} * (Wide{end} - state.at_ns) / window_ns;
        if (open || at_end - so_far >= available) {
            out.runs_out_at_ns = up(Wide{state.at_ns} + ((so_far + available) * window_ns + charged - 1) / charged);
            return out;
        }
        Wide drain = at_end - so_far;
        for (const std::uint32_t g : order) {
            const std::int64_t take = static_cast<std::int64_t>(std::min<Wide>(drain, remaining[g]));
            remaining[g] -= take;
            drain -= take;
        }
        so_far = at_end;
        Wide left = 0;
        for (const std::uint32_t g : order) {
            if (ledger.grants[g].expires_at_ns == end) {
                out.likely_unused_tokens[g] = remaining[g];
                remaining[g] = 0;
            }
            left += remaining[g];
        }
        if (left == 0) {
            out.runs_out_at_ns = up(end);
            return out;
        }
    }
    return out;
}

// n promotions of `credits` each, the k-th expiring k hours after T (several
// sharing an instant when `share` > 1), a purchase that never expires, and a
// charge that sets the rate.
std::vector<json> many_grants(int n, int share, std::int64_t credits_each, std::int64_t charged) {
    std::vector<json> events{opened("open", opening), purchased("buy", "2026-01-01T01:00:00Z", 300)};
    const std::int64_t t_ns = credits::parse_instant(T)->ns;
    for (int k = 0; k < n; ++k) {
        const std::int64_t expires = t_ns + std::int64_t{1 + k / share} * 3600 * credits::nanos_per_second;
        events.push_back(granted("g" + std::to_string(k), "2026-02-20T00:00:00Z", credits_each, credits::format_instant(expires)));
    }
    return with(events, charge("a", "2026-02-15T00:00:00Z", charged));
}

}  // namespace

TEST_CASE("§12 forecast: the simulation agrees with the segment-by-segment reference on random ledgers") {
    std::mt19937_64 random(7);
    const std::int64_t t_ns = credits::parse_instant(T)->ns;
    for (int round = 0; round < 60; ++round) {
        std::vector<json> events{opened("open", opening)};
        const int grants = 1 + static_cast<int>(random() % 40);
        for (int k = 0; k < grants; ++k) {
            const std::string id = "g" + std::to_string(k);
            const std::int64_t credits_each = 1 + static_cast<std::int64_t>(random() % 30);
            const std::uint64_t kind = random() % 4;
            if (kind == 0) {
                events.push_back(purchased(id, "2026-01-02T00:00:00Z", credits_each));
            } else {
                // Expiries from T + 1 s to T + 30 days, often shared, sometimes with a fraction.
                const std::int64_t offset_s = 1 + static_cast<std::int64_t>(random() % (kind == 1 ? 5 : 2'592'000));
                const std::int64_t fraction = random() % 3 == 0 ? static_cast<std::int64_t>(random() % credits::nanos_per_second) : 0;
                events.push_back(granted(id, "2026-01-02T00:00:00Z", credits_each,
                                         credits::format_instant(t_ns + offset_s * credits::nanos_per_second + fraction)));
            }
        }
        const std::int64_t charged = static_cast<std::int64_t>(random() % 5'000'000);
        events = with(events, charge("a", "2026-02-15T00:00:00Z", charged));
        credits::LoadedLedger account = load(ledger_text(events));
        const credits::BurnDownState state = credits::burn_down(account.ledger(), t_ns);
        const credits::ForecastWindow window = credits::forecast_window(account.ledger(), state);
        const credits::ForecastProjection got =
            credits::forecast_projection(account.ledger(), state, window.charged_tokens, window.length_ns);
        const credits::ForecastProjection want =
            reference_projection(account.ledger(), state, window.charged_tokens, window.length_ns);
        INFO("round " << round << ", " << grants << " grants, charged " << charged);
        CHECK(got.runs_out_at_ns == want.runs_out_at_ns);
        CHECK(got.likely_unused_tokens == want.likely_unused_tokens);
    }
}

TEST_CASE("§12 forecast: the simulation visits each grant a bounded number of times, whatever the expiries") {
    // 3,000 grants expiring an hour apart, drained slowly (each expires mostly unused):
    // segment by segment over every grant this is 3,000 x 3,000 / 2 = 4.5 million visits.
    const std::int64_t t_ns = credits::parse_instant(T)->ns;
    for (const int share : {1, 7}) {
        credits::LoadedLedger account = load(ledger_text(many_grants(3000, share, 1, one_a_second)));
        const credits::BurnDownState state = credits::burn_down(account.ledger(), t_ns);
        const credits::ForecastWindow window = credits::forecast_window(account.ledger(), state);
        const credits::ForecastProjection p =
            credits::forecast_projection(account.ledger(), state, window.charged_tokens, window.length_ns);
        INFO("share " << share << ": " << p.grant_steps << " steps");
        CHECK(p.grant_steps <= 2 * 3000 + 2);
        CHECK(p.grant_steps >= 3000);  // every expiring grant was expired once
        // 1 token a second: g0 (10,000 tokens, burns first) loses 3,600 in the hour before it expires.
        const auto& grants = account.ledger().grants;
        const auto g0 = std::find_if(grants.begin(), grants.end(), [](const credits::GrantRecord& g) { return g.id == "g0"; });
        REQUIRE(g0 != grants.end());
        CHECK(p.likely_unused_tokens[static_cast<std::size_t>(g0 - grants.begin())] == 10'000 - 3600);
        CHECK(p.likely_unused_tokens == reference_projection(account.ledger(), state, window.charged_tokens,
                                                              window.length_ns).likely_unused_tokens);
    }
}
