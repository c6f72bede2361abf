// Daily rows in a zone whose offset changes (spec §12 daily rows, §10 time):
// a question's utc_offsets lists the offset before the first change and each
// change; every record's day is its local date at the offset in force at its
// instant. Zones used: Europe/Berlin and America/New_York in 2026, as the tz
// database gives them, and made-up zones for the edges.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "credits/zone.h"
#include "ledger_fixtures.h"

using namespace fixtures;

namespace {

// Europe/Berlin 2026: CET +01:00, CEST +02:00 from 03-29 01:00Z, CET again from 10-25 01:00Z.
const std::string berlin_2026 = "+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00";
// America/New_York 2026: EST -05:00, EDT -04:00 from 03-08 07:00Z, EST again from 11-01 06:00Z.
const std::string new_york_2026 = "-05:00,2026-03-08T07:00:00Z=-04:00,2026-11-01T06:00:00Z=-05:00";

// One "build" record of `tokens` tokens per instant: ids u0, u1, ...
credits::LoadedLedger records_at(const std::vector<std::pair<std::string, std::int64_t>>& records) {
    std::vector<json> events{opened("open", "2026-01-01T00:00:00Z")};
    for (std::size_t i = 0; i < records.size(); ++i) {
        events.push_back(service("u" + std::to_string(i), records[i].first, "build", {.output = records[i].second}));
    }
    return load(ledger_text(events));
}

json zone_report(credits::LoadedLedger& account, const std::string& utc_offsets, std::string_view at = "2026-12-01T00:00:00Z") {
    const credits::Answer answer = account.report(at, {}, {}, {}, utc_offsets);
    INFO(answer.json);
    REQUIRE(answer.ok);
    json r = json::parse(answer.json);
    check_account_report(r);
    return r;
}

json offset_report(credits::LoadedLedger& account, const std::string& utc_offset) {
    const credits::Answer answer = account.report("2026-12-01T00:00:00Z", {}, {}, utc_offset);
    REQUIRE(answer.ok);
    return json::parse(answer.json);
}

// date -> total tokens of the daily rows, checking the dates ascend strictly.
std::map<std::string, std::int64_t> days(const json& report) {
    std::map<std::string, std::int64_t> out;
    std::string last;
    for (const json& d : report.at("daily")) {
        const std::string date = d.at("date").get<std::string>();
        CHECK(date > last);
        last = date;
        out[date] = tokens(d.at("total_tokens"));
    }
    return out;
}

json first_error(const credits::Answer& answer) {
    REQUIRE_FALSE(answer.ok);
    const json parsed = json::parse(answer.json);
    REQUIRE(parsed.at("errors").size() >= 1);
    return parsed.at("errors")[0];
}

json zone_error(const std::string& utc_offsets) {
    credits::LoadedLedger account = records_at({{"2026-06-01T00:00:00Z", 1}});
    return first_error(account.report("2026-12-01T00:00:00Z", {}, {}, {}, utc_offsets));
}

using Days = std::map<std::string, std::int64_t>;

}  // namespace

TEST_CASE("zone: Europe/Berlin springs forward on 2026-03-29 (a day of 23 hours)") {
    credits::LoadedLedger account = records_at({
        {"2026-03-28T22:30:00Z", 1},   // 03-28 23:30 CET
        {"2026-03-28T23:00:00Z", 2},   // 03-29 00:00 CET
        {"2026-03-29T00:59:59Z", 4},   // 03-29 01:59:59 CET, the last second before the change
        {"2026-03-29T01:00:00Z", 8},   // 03-29 03:00 CEST, the instant of the change
        {"2026-03-29T21:59:59Z", 16},  // 03-29 23:59:59 CEST
        {"2026-03-29T22:00:00Z", 32},  // 03-30 00:00 CEST
    });
    const json r = zone_report(account, berlin_2026);
    CHECK(days(r) == Days{{"2026-03-28", 1}, {"2026-03-29", 2 + 4 + 8 + 16}, {"2026-03-30", 32}});
    // Neither offset alone gives those days: each puts an hour on the neighbouring day.
    CHECK(days(offset_report(account, "+01:00")) == Days{{"2026-03-28", 1}, {"2026-03-29", 2 + 4 + 8 + 16 + 32}});
    CHECK(days(offset_report(account, "+02:00")) == Days{{"2026-03-29", 1 + 2 + 4 + 8 + 16}, {"2026-03-30", 32}});
}

TEST_CASE("zone: Europe/Berlin falls back on 2026-10-25 (a day of 25 hours)") {
    credits::LoadedLedger account = records_at({
        {"2026-10-24T21:59:59Z", 1},   // 10-24 23:59:59 CEST
        {"2026-10-24T22:00:00Z", 2},   // 10-25 00:00 CEST
        {"2026-10-25T00:59:59Z", 4},   // 10-25 02:59:59 CEST
        {"2026-10-25T01:00:00Z", 8},   // 10-25 02:00 CET, the instant of the change
        {"2026-10-25T22:59:59Z", 16},  // 10-25 23:59:59 CET
        {"2026-10-25T23:00:00Z", 32},  // 10-26 00:00 CET
    });
    const json r = zone_report(account, berlin_2026);
    CHECK(days(r) == Days{{"2026-10-24", 1}, {"2026-10-25", 2 + 4 + 8 + 16}, {"2026-10-26", 32}});
    CHECK(days(offset_report(account, "+01:00")) == Days{{"2026-10-24", 1 + 2}, {"2026-10-25", 4 + 8 + 16}, {"2026-10-26", 32}});
    // The totals never depend on the zone.
    CHECK(tokens(r["usage"]["total_tokens"]) == 63);
}

TEST_CASE("zone: America/New_York in both directions") {
    credits::LoadedLedger account = records_at({
        {"2026-03-08T04:59:59Z", 1},    // 03-07 23:59:59 EST
        {"2026-03-08T05:00:00Z", 2},    // 03-08 00:00 EST
        {"2026-03-08T07:00:00Z", 4},    // 03-08 03:00 EDT, the instant of the change
        {"2026-03-09T03:59:59Z", 8},    // 03-08 23:59:59 EDT
        {"2026-03-09T04:00:00Z", 16},   // 03-09 00:00 EDT
        {"2026-11-01T03:59:59Z", 32},   // 10-31 23:59:59 EDT
        {"2026-11-01T04:00:00Z", 64},   // 11-01 00:00 EDT
        {"2026-11-01T06:00:00Z", 128},  // 11-01 01:00 EST (the second 01:00), the instant of the change
        {"2026-11-02T04:59:59Z", 256},  // 11-01 23:59:59 EST
        {"2026-11-02T05:00:00Z", 512},  // 11-02 00:00 EST
    });
    const json r = zone_report(account, new_york_2026);
    CHECK(days(r) == Days{{"2026-03-07", 1},  {"2026-03-08", 2 + 4 + 8}, {"2026-03-09", 16},
                          {"2026-10-31", 32}, {"2026-11-01", 64 + 128 + 256}, {"2026-11-02", 512}});
    CHECK(r["utc_offset"] == "-05:00");  // in force at the report instant, December
    CHECK(zone_report(account, new_york_2026, "2026-07-01T00:00:00Z")["utc_offset"] == "-04:00");
}

TEST_CASE("zone: a change applies from its own instant on") {
    // A made-up zone that moves from +00:00 to -01:00 at midnight UTC.
    credits::LoadedLedger account = records_at({
        {"2026-04-30T23:59:59.999999999Z", 1},  // 04-30 23:59:59.999999999 at +00:00
        {"2026-05-01T00:00:00Z", 2},            // 04-30 23:00 at -01:00
        {"2026-05-01T01:00:00Z", 4},            // 05-01 00:00 at -01:00
    });
    const json r = zone_report(account, "+00:00,2026-05-01T00:00:00Z=-01:00");
    CHECK(days(r) == Days{{"2026-04-30", 1 + 2}, {"2026-05-01", 4}});
    const credits::ZoneOffsets zone = *credits::parse_zone_offsets("+00:00,2026-05-01T00:00:00Z=-01:00").value;
    const std::int64_t change_ns = zone.changes.at(0).from_ns;
    CHECK(zone.offset_at(change_ns - 1) == 0);
    CHECK(zone.offset_at(change_ns) == -60);
    CHECK(zone.offset_at(0) == 0);
}

TEST_CASE("zone: clocks turned back across midnight revisit the day before, which stays one row") {
    // A made-up zone going from -02:00 to -03:00 at 00:30 local time.
    credits::LoadedLedger account = records_at({
        {"2026-02-21T12:00:00Z", 1},  // 02-21 10:00 at -02:00
        {"2026-02-22T02:10:00Z", 2},  // 02-22 00:10 at -02:00
        {"2026-02-22T02:40:00Z", 4},  // 02-21 23:40 at -03:00: the day before again
        {"2026-02-22T04:00:00Z", 8},  // 02-22 01:00 at -03:00
    });
    const json r = zone_report(account, "-02:00,2026-02-22T02:30:00Z=-03:00");
    CHECK(days(r) == Days{{"2026-02-21", 1 + 4}, {"2026-02-22", 2 + 8}});
    CHECK(r["daily"].size() == 2);
}

TEST_CASE("zone: a range without a change gives the days of the single offset") {
    credits::LoadedLedger account = records_at({
        {"2026-07-01T21:59:59Z", 1},  // 07-01 23:59:59 CEST
        {"2026-07-01T22:00:00Z", 2},  // 07-02 00:00 CEST
        {"2026-07-15T12:00:00Z", 4},
    });
    const credits::Answer zoned = account.report("2026-08-01T00:00:00Z", "2026-07-01T00:00:00Z", {}, {}, berlin_2026);
    const credits::Answer fixed = account.report("2026-08-01T00:00:00Z", "2026-07-01T00:00:00Z", {}, "+02:00");
    REQUIRE(zoned.ok);
    REQUIRE(fixed.ok);
    const json z = json::parse(zoned.json);
    const json f = json::parse(fixed.json);
    CHECK(z["daily"] == f["daily"]);
    CHECK(days(z) == Days{{"2026-07-01", 1}, {"2026-07-02", 2}, {"2026-07-15", 4}});
    CHECK(z["utc_offset"] == "+02:00");
    // A zone of one offset is that offset: the same days, echoed as a zone.
    const json one = zone_report(account, "+02:00", "2026-08-01T00:00:00Z");
    CHECK(days(one) == Days{{"2026-07-01", 1}, {"2026-07-02", 2}, {"2026-07-15", 4}});
    CHECK(one["utc_offsets"] == json::array({json{{"from", nullptr}, {"offset", "+02:00"}}}));
}

TEST_CASE("zone: the reports echo utc_offsets only when the question gave it") {
    credits::LoadedLedger account = records_at({{"2026-06-01T00:00:00Z", 1}});
    const json r = zone_report(account, berlin_2026);
    CHECK(r["utc_offset"] == "+01:00");
    CHECK(r["utc_offsets"] == json::array({json{{"from", nullptr}, {"offset", "+01:00"}},
                                           json{{"from", "2026-03-29T01:00:00Z"}, {"offset", "+02:00"}},
                                           json{{"from", "2026-10-25T01:00:00Z"}, {"offset", "+01:00"}}}));
    CHECK_FALSE(offset_report(account, "+01:00").contains("utc_offsets"));
    CHECK_FALSE(account_report(account, "2026-12-01T00:00:00Z").contains("utc_offsets"));
    // The project report cuts its days the same way.
    const credits::Answer project = account.project("p1", "2026-12-01T00:00:00Z", {}, {}, {}, berlin_2026);
    REQUIRE(project.ok);
    const json p = json::parse(project.json);
    CHECK(p["utc_offsets"] == r["utc_offsets"]);
    CHECK(p["daily"][0]["date"] == "2026-06-01");  // 02:00 CEST
    CHECK(offset_report(account, "-01:00")["daily"][0]["date"] == "2026-05-31");
}

TEST_CASE("zone: malformed utc_offsets are rejected with a code and a pointer") {
    struct Case {
        std::string utc_offsets, code, pointer;
    };
    const std::vector<Case> cases{
        {"+01:00,2026-10-25T01:00:00Z=+01:00,2026-03-29T01:00:00Z=+02:00", "utc_offsets_unsorted", "/utc_offsets/2/from"},
        {"+01:00,2026-03-29T01:00:00Z=+02:00,2026-03-29T01:00:00Z=+03:00", "utc_offsets_duplicate", "/utc_offsets/2/from"},
        {"+14:30", "invalid_offset", "/utc_offsets/0/offset"},
        {"+01:00,2026-03-29T01:00:00Z=-15:00", "invalid_offset", "/utc_offsets/1/offset"},
        {"+1:00", "invalid_utc_offsets", "/utc_offsets/0/offset"},
        {"UTC", "invalid_utc_offsets", "/utc_offsets/0/offset"},
        {"+01:00,", "invalid_utc_offsets", "/utc_offsets/1"},
        {"2026-01-01T00:00:00Z=+01:00", "invalid_utc_offsets", "/utc_offsets/0/from"},
        {"+01:00,+02:00", "invalid_utc_offsets", "/utc_offsets/1"},
        {"+01:00,2026-03-29T01:00:00=+02:00", "invalid_instant", "/utc_offsets/1/from"},
        {"+01:00,2026-02-30T01:00:00Z=+02:00", "invalid_instant", "/utc_offsets/1/from"},
        {"+01:00,2200-01-01T00:00:00Z=+02:00", "instant_out_of_range", "/utc_offsets/1/from"},
    };
    for (const Case& c : cases) {
        INFO(c.utc_offsets);
        const json error = zone_error(c.utc_offsets);
        CHECK(error["code"] == c.code);
        CHECK(error["pointer"] == c.pointer);
        CHECK_FALSE(error["message"].get<std::string>().empty());
    }
    credits::LoadedLedger account = records_at({{"2026-06-01T00:00:00Z", 1}});
    const json both = first_error(account.report("2026-12-01T00:00:00Z", {}, {}, "+01:00", berlin_2026));
    CHECK(both["code"] == "invalid_query");
    CHECK(both["pointer"] == "/utc_offsets");
}

TEST_CASE("zone: at most 1024 changes are read") {
    const auto zone_of = [](std::size_t changes) {
        std::string text = "+00:00";
        for (std::size_t i = 0; i < changes; ++i) {
            // One change a day from 2026-01-01 on, alternating +00:00 / +01:00.
            text += "," + credits::format_instant(credits::parse_instant("2026-01-01T00:00:00Z")->ns +
                                                  static_cast<std::int64_t>(i) * credits::nanos_per_day) +
                    (i % 2 == 0 ? "=+01:00" : "=+00:00");
        }
        return text;
    };
    const credits::Result<credits::ZoneOffsets> most = credits::parse_zone_offsets(zone_of(1024));
    REQUIRE(most.ok());
    CHECK(most.value->changes.size() == 1024);
    const json error = zone_error(zone_of(1025));
    CHECK(error["code"] == "too_many_utc_offsets");
    CHECK(error["pointer"] == "/utc_offsets");
    // A long run of commas is counted, not read item by item.
    CHECK(zone_error("+00:00" + std::string(100000, ','))["code"] == "too_many_utc_offsets");
}
