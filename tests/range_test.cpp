// Named ranges of a question (docs/report-format.md "from" and "to"): the
// console asks for "last_30_days" and for whole local days, and the core
// resolves them, so no day or window arithmetic is done in the browser.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

constexpr std::string_view at = "2026-12-01T00:00:00Z";

// One "build" record of 1,000 output tokens per instant: ids u0, u1, ...
credits::LoadedLedger records_at(const std::vector<std::string>& instants, std::string opened_at = "2026-01-01T00:00:00Z") {
    std::vector<json> events{opened("open", opened_at)};
    for (std::size_t i = 0; i < instants.size(); ++i)
        events.push_back(service("u" + std::to_string(i), instants[i], "build", {.output = 1000}));
    return load(ledger_text(events));
}

json report(credits::LoadedLedger& account, std::string_view from, std::string_view to = {},
            std::string_view utc_offsets = {}) {
    const credits::Answer answer = account.report(at, from, to, {}, utc_offsets);
    INFO(answer.json);
    REQUIRE(answer.ok);
    return json::parse(answer.json);
}

json rejected(credits::LoadedLedger& account, std::string_view from, std::string_view to = {}) {
    const credits::Answer answer = account.report(at, from, to, {}, {});
    INFO(answer.json);
    REQUIRE_FALSE(answer.ok);
    return json::parse(answer.json)["errors"];
}

}  // namespace

TEST_CASE("range: last_30_days is the forecast's window, after T - 30 days through T") {
    // T - 30 days is 2026-11-01T00:00:00Z: a record exactly then is outside, 1 ns later inside.
    credits::LoadedLedger account = records_at({"2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z",
                                                "2026-11-01T00:00:00.000000001Z", "2026-12-01T00:00:00Z"});
    const json r = report(account, "last_30_days");
    CHECK(r["from"] == "2026-11-01T00:00:00.000000001Z");
    CHECK(r["to"] == at);
    CHECK(r["to_inclusive"] == true);
    CHECK(tokens(r["usage"]["total_tokens"]) == 2000);
    const credits::Answer forecast = account.forecast(at);
    REQUIRE(forecast.ok);
    CHECK(json::parse(forecast.json)["window_start"] == "2026-11-01T00:00:00Z");
}

TEST_CASE("range: last_30_days starts at the opening when the account is younger") {
    credits::LoadedLedger account = records_at({"2026-11-20T00:00:00Z"}, "2026-11-15T00:00:00Z");
    const json r = report(account, "last_30_days");
    CHECK(r["from"] == "2026-11-15T00:00:00Z");
    CHECK(tokens(r["usage"]["total_tokens"]) == 1000);
}

TEST_CASE("range: dates are whole local days in the account's offset, the last one cut at T") {
    // The fixture account is at +00:00 unless told; days of +08:00 start at 16:00Z the day before.
    std::vector<json> events{opened("open", "2026-01-01T00:00:00Z"),
                             service("u0", "2026-09-30T15:59:59Z", "build", {.output = 1}),
                             service("u1", "2026-09-30T16:00:00Z", "build", {.output = 10}),
                             service("u2", "2026-10-31T15:59:59Z", "build", {.output = 100}),
                             service("u3", "2026-10-31T16:00:00Z", "build", {.output = 1000})};
    credits::LoadedLedger account = load(ledger_text(events, json{{"id", "acct_1"}, {"utc_offset", "+08:00"}}));
    const json october = report(account, "2026-10-01", "2026-10-31");
    CHECK(october["from"] == "2026-09-30T16:00:00Z");
    CHECK(october["to"] == "2026-10-31T16:00:00Z");
    CHECK(october["to_inclusive"] == false);
    CHECK(tokens(october["usage"]["total_tokens"]) == 110);
    // A last day that is not over yet counts up to T, inclusive, as a range without "to".
    const json open_end = report(account, "2026-11-01", "2026-12-31");
    CHECK(open_end["from"] == "2026-10-31T16:00:00Z");
    CHECK(open_end["to"] == at);
    CHECK(open_end["to_inclusive"] == true);
    CHECK(tokens(open_end["usage"]["total_tokens"]) == 1000);
}

TEST_CASE("range: dates follow the question's zone through a change of offset") {
    credits::LoadedLedger account = records_at({"2026-10-24T22:30:00Z", "2026-10-25T22:30:00Z"});
    // Europe/Berlin: October 25 starts at 22:00Z (CEST), October 26 at 23:00Z (CET).
    const json r = report(account, "2026-10-25", "2026-10-25", "+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00");
    CHECK(r["from"] == "2026-10-24T22:00:00Z");
    CHECK(r["to"] == "2026-10-25T23:00:00Z");
    CHECK(tokens(r["usage"]["total_tokens"]) == 2000);
    // The console shows the range's totals beside the days: the days add up to them.
    std::int64_t days_total = 0;
    for (const json& day : r["daily"]) days_total += tokens(day["total_tokens"]);
    CHECK(r["daily"].size() == 1);  // both records are on October 25 in Berlin
    CHECK(days_total == tokens(r["usage"]["total_tokens"]));
}

TEST_CASE("range: a day skipped at midnight starts when the new offset does") {
    // Made-up zone: +00:00, then +01:00 from 2026-06-01T00:00:00Z, so June 1 runs from 01:00 local.
    credits::LoadedLedger account = records_at({"2026-05-31T23:59:59Z", "2026-06-01T00:00:00Z"});
    const json r = report(account, "2026-06-01", "2026-06-01", "+00:00,2026-06-01T00:00:00Z=+01:00");
    CHECK(r["from"] == "2026-06-01T00:00:00Z");
    CHECK(r["to"] == "2026-06-01T23:00:00Z");
    CHECK(tokens(r["usage"]["total_tokens"]) == 1000);
}

TEST_CASE("range: a range that starts after T, ends before it starts, or names no date is rejected") {
    credits::LoadedLedger account = records_at({"2026-11-20T00:00:00Z"});
    CHECK(rejected(account, "2026-12-02")[0]["pointer"] == "/from");
    CHECK(rejected(account, "2026-11-10", "2026-11-09")[0]["pointer"] == "/from");
    const json bad_date = rejected(account, "2026-02-30");
    CHECK(bad_date[0]["code"] == "invalid_query");
    CHECK(bad_date[0]["pointer"] == "/from");
    CHECK(rejected(account, {}, "last_30_days")[0]["pointer"] == "/to");
}
