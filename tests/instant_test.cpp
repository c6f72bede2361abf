// Spec §10 instants: RFC 3339 with a zone, 'T' and 'Z' in either case, 0-9
// fractional digits, no leap second, no date that does not exist, from
// 1970-01-01T00:00:00Z inclusive to 2200-01-01T00:00:00Z exclusive; reports
// write UTC "YYYY-MM-DDTHH:MM:SSZ" with the fraction only when it is not zero.
// A billing period without period_end lasts one calendar month counted in the
// offset it was written in, the day clamped to the month's last day.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "credits/instant.h"

using credits::format_instant;
using credits::Instant;
using credits::InstantProblem;
using credits::nanos_per_second;
using credits::parse_instant;

namespace {

// The instant written back in UTC, or the reason it was rejected.
std::string utc(const std::string& text) {
    InstantProblem problem = InstantProblem::none;
    const std::optional<Instant> instant = parse_instant(text, &problem);
    if (instant) {
        REQUIRE(problem == InstantProblem::none);
        return format_instant(instant->ns);
    }
    switch (problem) {
        case InstantProblem::syntax: return "syntax";
        case InstantProblem::date: return "date";
        case InstantProblem::range: return "range";
        case InstantProblem::offset: return "offset";
        case InstantProblem::none: break;
    }
    FAIL("rejected without a reason: " << text);
    return "";
}

Instant instant(const std::string& text) {
    const std::optional<Instant> parsed = parse_instant(text);
    INFO(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

// One month after `start`, in UTC.
std::string month_after(const std::string& start) { return format_instant(credits::add_one_month_ns(instant(start))); }

std::string local_date(const std::string& at, int offset_minutes) {
    return credits::format_day(credits::local_day(instant(at).ns, offset_minutes));
}

}  // namespace

TEST_CASE("§10 instants: parse and format round-trip in UTC") {
    CHECK(utc("2026-09-12T09:30:00Z") == "2026-09-12T09:30:00Z");
    CHECK(utc("1970-01-01T00:00:00Z") == "1970-01-01T00:00:00Z");
    CHECK(instant("1970-01-01T00:00:00Z").ns == 0);
    CHECK(instant("1970-01-02T00:00:01Z").ns == 86401 * nanos_per_second);
    CHECK(instant("2026-09-12T09:30:00Z").offset_minutes == 0);
}

TEST_CASE("§10 instants: 'T' and 'Z' in either case") {
    CHECK(utc("2026-09-12t09:30:00Z") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T09:30:00z") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12t09:30:00z") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12 09:30:00Z") == "syntax");
    CHECK(utc("2026-09-12x09:30:00Z") == "syntax");
}

TEST_CASE("§10 instants: offsets are compared as UTC instants") {
    CHECK(utc("2026-09-12T17:30:00+08:00") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T04:00:00-05:30") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T09:30:00+00:00") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T09:30:00-00:00") == "2026-09-12T09:30:00Z");
    CHECK(instant("2026-09-12T17:30:00+08:00").ns == instant("2026-09-12T09:30:00Z").ns);
    CHECK(instant("2026-09-12T17:30:00+08:00").offset_minutes == 480);
    CHECK(instant("2026-09-12T04:00:00-05:30").offset_minutes == -330);
}

TEST_CASE("§10 instants: 0 to 9 fractional digits, 10 rejected") {
    CHECK(utc("2026-09-12T09:30:00.5Z") == "2026-09-12T09:30:00.5Z");
    CHECK(utc("2026-09-12T09:30:00.123456789Z") == "2026-09-12T09:30:00.123456789Z");
    CHECK(utc("2026-09-12T09:30:00.000000001Z") == "2026-09-12T09:30:00.000000001Z");
    CHECK(instant("2026-09-12T09:30:00.000000001Z").ns - instant("2026-09-12T09:30:00Z").ns == 1);
    CHECK(utc("2026-09-12T09:30:00.1234567891Z") == "syntax");
    CHECK(utc("2026-09-12T09:30:00.Z") == "syntax");  // a point needs digits
    CHECK(utc("2026-09-12T09:30:00,5Z") == "syntax");
}

TEST_CASE("§10 instants: format_instant drops trailing fraction zeros and a zero fraction") {
    CHECK(utc("2026-09-12T09:30:00.000Z") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T09:30:00.000000000Z") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T09:30:00.500Z") == "2026-09-12T09:30:00.5Z");
    CHECK(utc("2026-09-12T09:30:00.120Z") == "2026-09-12T09:30:00.12Z");
    CHECK(utc("2026-09-12T09:30:00.100000000Z") == "2026-09-12T09:30:00.1Z");
    CHECK(format_instant(1) == "1970-01-01T00:00:00.000000001Z");
    CHECK(format_instant(nanos_per_second + 250'000'000) == "1970-01-01T00:00:01.25Z");
}

TEST_CASE("§10 instants: format_instant agrees with a field-by-field reference over the whole range") {
    // The writer keeps the last day it wrote and writes two digits a step; a reference built
    // from std::chrono fields, over instants that hop between days and repeat them, must agree.
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    const auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const std::int64_t end_ns = credits::instant_end_ns;
    std::int64_t previous = 0;
    for (int i = 0; i < 20'000; ++i) {
        std::int64_t ns = static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(end_ns));
        if (i % 3 == 1) ns = previous + static_cast<std::int64_t>(next() % 1'000'000'000ULL);  // the same day, mostly
        if (i % 7 == 2) ns -= ns % nanos_per_second;                                           // whole seconds
        if (i % 11 == 3) ns -= ns % 1'000'000;                                                  // milliseconds
        if (i % 13 == 4) ns -= ns % 1'000;                                                      // microseconds
        if (i % 17 == 5) ns -= ns % 10'000'000;                                                 // centiseconds
        if (ns >= end_ns) ns = end_ns - 1;
        previous = ns;
        const std::chrono::sys_days day{std::chrono::days{ns / credits::nanos_per_day}};
        const std::chrono::year_month_day date{day};
        const std::int64_t in_day = ns % credits::nanos_per_day;
        char expected[64];
        std::snprintf(expected, sizeof expected, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(date.year()),
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                      static_cast<long long>(in_day / 3'600'000'000'000), static_cast<long long>(in_day / 60'000'000'000 % 60),
                      static_cast<long long>(in_day / nanos_per_second % 60));
        std::string text = expected;
        if (const std::int64_t fraction = ns % nanos_per_second; fraction != 0) {
            std::snprintf(expected, sizeof expected, ".%09lld", static_cast<long long>(fraction));
            std::string digits = expected;
            while (digits.back() == '0') digits.pop_back();
            text += digits;
        }
        text += 'Z';
        INFO(ns);
        REQUIRE(format_instant(ns) == text);
        REQUIRE(parse_instant(text)->ns == ns);
    }
}

TEST_CASE("§10 instants: a date that does not exist is rejected") {
    CHECK(utc("2026-02-30T00:00:00Z") == "date");
    CHECK(utc("2026-02-29T00:00:00Z") == "date");  // 2026 is not a leap year
    CHECK(utc("2028-02-29T00:00:00Z") == "2028-02-29T00:00:00Z");
    CHECK(utc("2100-02-29T00:00:00Z") == "date");  // divisible by 100, not by 400
    CHECK(utc("2000-02-29T00:00:00Z") == "2000-02-29T00:00:00Z");
    CHECK(utc("2026-04-31T00:00:00Z") == "date");
    CHECK(utc("2026-13-01T00:00:00Z") == "date");
    CHECK(utc("2026-00-10T00:00:00Z") == "date");
    CHECK(utc("2026-01-00T00:00:00Z") == "date");
    CHECK(utc("2026-01-32T00:00:00Z") == "date");
}

TEST_CASE("§10 instants: hours 00-23, minutes 00-59, seconds 00-59 (no 24:00, no leap second)") {
    CHECK(utc("2026-09-12T23:59:59Z") == "2026-09-12T23:59:59Z");
    CHECK(utc("2026-09-12T24:00:00Z") == "date");
    CHECK(utc("2026-12-31T23:59:60Z") == "date");
    CHECK(utc("2026-09-12T12:60:00Z") == "date");
}

TEST_CASE("§10 instants: an instant without a zone, or malformed, is rejected") {
    CHECK(utc("2026-09-12T09:30:00") == "syntax");
    CHECK(utc("2026-09-12T09:30:00.5") == "syntax");
    CHECK(utc("2026-09-12") == "syntax");
    CHECK(utc("2026-09-12T09:30Z") == "syntax");
    CHECK(utc("2026-9-12T09:30:00Z") == "syntax");
    CHECK(utc("2026-09-12T09:30:00+0800") == "syntax");
    CHECK(utc("2026-09-12T09:30:00+08") == "syntax");
    CHECK(utc("2026-09-12T09:30:00 Z") == "syntax");
    CHECK(utc("2026-09-12T09:30:00ZZ") == "syntax");
    CHECK(utc("") == "syntax");
}

TEST_CASE("§10 instants: offsets within +-14:00; +14:01 and +15:00 are rejected") {
    CHECK(utc("2026-09-12T23:30:00+14:00") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-11T19:30:00-14:00") == "2026-09-12T09:30:00Z");
    CHECK(utc("2026-09-12T09:30:00+14:01") == "offset");
    CHECK(utc("2026-09-12T09:30:00-14:01") == "offset");
    CHECK(utc("2026-09-12T09:30:00+15:00") == "offset");
    CHECK(utc("2026-09-12T09:30:00+05:60") == "offset");
}

TEST_CASE("§10 instants: range 1970-01-01T00:00:00Z inclusive to 2200-01-01T00:00:00Z exclusive") {
    CHECK(utc("1970-01-01T00:00:00Z") == "1970-01-01T00:00:00Z");
    CHECK(utc("1969-12-31T23:59:59Z") == "range");
    CHECK(utc("1969-12-31T23:59:59.999999999Z") == "range");
    CHECK(utc("2199-12-31T23:59:59.999999999Z") == "2199-12-31T23:59:59.999999999Z");
    CHECK(utc("2200-01-01T00:00:00Z") == "range");
    CHECK(utc("9999-12-31T23:59:59Z") == "range");
    CHECK(utc("0000-01-01T00:00:00Z") == "range");
    CHECK(instant("2199-12-31T23:59:59.999999999Z").ns == credits::instant_end_ns - 1);
}

TEST_CASE("§10 instants: the range is checked after the offset is applied") {
    // Written in 1970 or 2199, but outside the range as a UTC instant.
    CHECK(utc("1970-01-01T07:59:59+08:00") == "range");
    CHECK(utc("1970-01-01T08:00:00+08:00") == "1970-01-01T00:00:00Z");
    CHECK(utc("2199-12-31T23:59:59-00:01") == "range");
    CHECK(utc("2199-12-31T19:00:00-05:00") == "range");
    // Written in 1969 or 2200, but inside the range as a UTC instant.
    CHECK(utc("1969-12-31T23:00:00-01:00") == "1970-01-01T00:00:00Z");
    CHECK(utc("2200-01-01T08:00:00+14:00") == "2199-12-31T18:00:00Z");
}

TEST_CASE("§10 utc_offset: '+HH:MM' / '-HH:MM' within +-14:00") {
    CHECK(credits::parse_utc_offset("+08:00") == 480);
    CHECK(credits::parse_utc_offset("-05:30") == -330);
    CHECK(credits::parse_utc_offset("+14:00") == 840);
    CHECK(credits::parse_utc_offset("-14:00") == -840);
    CHECK(credits::parse_utc_offset("-00:00") == 0);
    CHECK_FALSE(credits::parse_utc_offset("+14:01").has_value());
    CHECK_FALSE(credits::parse_utc_offset("+15:00").has_value());
    CHECK_FALSE(credits::parse_utc_offset("08:00").has_value());
    CHECK_FALSE(credits::parse_utc_offset("Z").has_value());
    CHECK_FALSE(credits::parse_utc_offset("+8:00").has_value());
    CHECK(credits::format_utc_offset(480) == "+08:00");
    CHECK(credits::format_utc_offset(-330) == "-05:30");
    CHECK(credits::format_utc_offset(0) == "+00:00");
}

TEST_CASE("§10 billing period: one calendar month, same time of day") {
    CHECK(month_after("2026-09-03T00:00:00Z") == "2026-10-03T00:00:00Z");
    CHECK(month_after("2026-09-15T13:45:10.5Z") == "2026-10-15T13:45:10.5Z");
    CHECK(month_after("2026-12-15T10:00:00Z") == "2027-01-15T10:00:00Z");  // December -> January
    CHECK(month_after("2026-12-31T10:00:00Z") == "2027-01-31T10:00:00Z");
}

TEST_CASE("§10 billing period: the day is clamped to the month's last day (Jan 31 -> Feb 28/29)") {
    CHECK(month_after("2026-01-31T12:00:00Z") == "2026-02-28T12:00:00Z");
    CHECK(month_after("2028-01-31T12:00:00Z") == "2028-02-29T12:00:00Z");  // leap year
    CHECK(month_after("2026-01-29T12:00:00Z") == "2026-02-28T12:00:00Z");
    CHECK(month_after("2028-01-29T12:00:00Z") == "2028-02-29T12:00:00Z");
    CHECK(month_after("2026-03-31T12:00:00Z") == "2026-04-30T12:00:00Z");
    CHECK(month_after("2026-02-28T12:00:00Z") == "2026-03-28T12:00:00Z");  // no "end of month" stickiness
}

TEST_CASE("§10 billing period: counted in the offset the instant was written in") {
    // Jan 31 20:00 at -05:00 is Feb 1 01:00Z; a month later is Feb 28 20:00 at -05:00.
    CHECK(month_after("2026-01-31T20:00:00-05:00") == "2026-03-01T01:00:00Z");
    CHECK(format_instant(instant("2026-02-28T20:00:00-05:00").ns) == "2026-03-01T01:00:00Z");
    // Jan 30 22:00 at -05:00 is Jan 31 03:00Z: counted in UTC it would end Feb 28 03:00Z,
    // counted in its own offset it ends Feb 28 22:00 -05:00 = Mar 1 03:00Z.
    CHECK(month_after("2026-01-30T22:00:00-05:00") == "2026-03-01T03:00:00Z");
    CHECK(month_after("2026-01-31T03:00:00Z") == "2026-02-28T03:00:00Z");
    // Mar 1 07:00 at +08:00 is Feb 28 23:00Z: a local month ends Apr 1 07:00 +08:00.
    CHECK(month_after("2026-03-01T07:00:00+08:00") == "2026-03-31T23:00:00Z");
    CHECK(month_after("2026-02-28T23:00:00Z") == "2026-03-28T23:00:00Z");
    // The demo's October billing: 2026-10-03T08:00:00+08:00 runs to 2026-11-03T00:00:00Z.
    CHECK(month_after("2026-10-03T08:00:00+08:00") == "2026-11-03T00:00:00Z");
    // Dec 31 23:30 at -01:00 (Jan 1 00:30Z) -> Jan 31 23:30 at -01:00.
    CHECK(month_after("2026-12-31T23:30:00-01:00") == "2027-02-01T00:30:00Z");
    // At the extreme offsets.
    CHECK(month_after("2026-01-31T23:00:00+14:00") == "2026-02-28T09:00:00Z");
    CHECK(month_after("2026-01-31T01:00:00-14:00") == "2026-02-28T15:00:00Z");
}

TEST_CASE("§10 local_day: the calendar date of an instant in the account's offset") {
    CHECK(local_date("2026-09-12T20:00:00Z", 0) == "2026-09-12");
    CHECK(local_date("2026-09-12T20:00:00Z", 480) == "2026-09-13");
    CHECK(local_date("2026-09-12T15:59:59Z", 480) == "2026-09-12");
    CHECK(local_date("2026-09-12T16:00:00Z", 480) == "2026-09-13");
    CHECK(local_date("2026-09-12T04:59:59Z", -300) == "2026-09-11");
    CHECK(local_date("2026-09-12T05:00:00Z", -300) == "2026-09-12");
    // +-14:00, the extremes.
    CHECK(local_date("2026-09-12T09:59:59Z", 840) == "2026-09-12");
    CHECK(local_date("2026-09-12T10:00:00Z", 840) == "2026-09-13");
    CHECK(local_date("2026-09-12T13:59:59Z", -840) == "2026-09-11");
    CHECK(local_date("2026-09-12T14:00:00Z", -840) == "2026-09-12");
    // Near the epoch a negative offset falls on 1969-12-31.
    CHECK(local_date("1970-01-01T00:00:00Z", -60) == "1969-12-31");
    CHECK(local_date("1970-01-01T00:59:59.999999999Z", -60) == "1969-12-31");
    CHECK(local_date("1970-01-01T01:00:00Z", -60) == "1970-01-01");
    CHECK(local_date("2199-12-31T23:59:59Z", 840) == "2200-01-01");
}
