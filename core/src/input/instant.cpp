#include "credits/instant.h"

#include <array>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace credits {
namespace {

using std::chrono::day;
using std::chrono::days;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

bool read_digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
    if (at + count > text.size()) return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    return true;
}

std::int64_t days_since_epoch(int y, unsigned m, unsigned d) {
    const sys_days sd{year_month_day{year{y}, month{m}, day{d}}};
    return sd.time_since_epoch().count();
}

std::string two_digits(unsigned value) {
    return std::string{static_cast<char>('0' + value / 10), static_cast<char>('0' + value % 10)};
}

}  // namespace

std::optional<int> parse_utc_offset(std::string_view text) {
    int hours = 0;
    int minutes = 0;
    if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return std::nullopt;
    if (!read_digits(text, 1, 2, hours) || !read_digits(text, 4, 2, minutes)) return std::nullopt;
    if (minutes > 59) return std::nullopt;
    const int total = hours * 60 + minutes;
    if (total > utc_offset_minutes_max) return std::nullopt;
    return text[0] == '-' ? -total : total;
}

std::string format_utc_offset(int offset_minutes) {
    const unsigned magnitude = static_cast<unsigned>(offset_minutes < 0 ? -offset_minutes : offset_minutes);
    return std::string(offset_minutes < 0 ? "-" : "+") + two_digits(magnitude / 60) + ":" +
           two_digits(magnitude % 60);
}

std::optional<Instant> parse_instant(std::string_view text, InstantProblem* problem) {
    auto fail = [&](InstantProblem p) -> std::optional<Instant> {
        if (problem != nullptr) *problem = p;
        return std::nullopt;
    };
    if (problem != nullptr) *problem = InstantProblem::none;
    // YYYY-MM-DDTHH:MM:SS is 19 characters; a zone follows at least.
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (text.size() < 20 || text.size() > 40) return fail(InstantProblem::syntax);
    if (!read_digits(text, 0, 4, y) || text[4] != '-' || !read_digits(text, 5, 2, mo) || text[7] != '-' ||
        !read_digits(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, h) ||
        text[13] != ':' || !read_digits(text, 14, 2, mi) || text[16] != ':' || !read_digits(text, 17, 2, s))
        return fail(InstantProblem::syntax);
    std::size_t at = 19;
    std::int64_t fraction_ns = 0;
    if (text[at] == '.') {
        ++at;
        std::size_t digits = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (digits == 9) return fail(InstantProblem::syntax);
            fraction_ns = fraction_ns * 10 + (text[at] - '0');
            ++digits;
            ++at;
        }
        if (digits == 0) return fail(InstantProblem::syntax);
        for (std::size_t i = digits; i < 9; ++i) fraction_ns *= 10;
    }
    int offset_minutes = 0;
    const std::string_view zone = text.substr(at);
    if (zone == "Z" || zone == "z") {
        offset_minutes = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-')) {
        const std::optional<int> parsed = parse_utc_offset(zone);
        if (!parsed) {
            int hours = 0, minutes = 0;
            const bool well_formed = zone[3] == ':' && read_digits(zone, 1, 2, hours) && read_digits(zone, 4, 2, minutes);
            return fail(well_formed ? InstantProblem::offset : InstantProblem::syntax);
        }
        offset_minutes = *parsed;
    } else {
        return fail(InstantProblem::syntax);
    }
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return fail(InstantProblem::date);
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) return fail(InstantProblem::date);
    const std::int64_t local_seconds =
        days_since_epoch(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400 + h * 3'600 + mi * 60 + s;
    const std::int64_t utc_seconds = local_seconds - std::int64_t{offset_minutes} * 60;
    // Range check on seconds first so the multiplication cannot overflow.
    if (utc_seconds < 0 || utc_seconds >= instant_end_ns / nanos_per_second) return fail(InstantProblem::range);
    return Instant{utc_seconds * nanos_per_second + fraction_ns, offset_minutes};
}

std::string format_instant(std::int64_t ns) {
    char text[instant_text_max];
    return std::string(text, write_instant(text, ns));
}

namespace {

// "00".."99": two digits a step (reports write several instants per grant and entry).
constexpr std::array<char, 200> digit_pairs = [] {
    std::array<char, 200> pairs{};
    for (unsigned i = 0; i < 100; ++i) {
        pairs[2 * i] = static_cast<char>('0' + i / 10);
        pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
    return pairs;
}();

inline char* write_two(char* p, unsigned value) {
    assert(value < 100);
    std::memcpy(p, &digit_pairs[2 * value], 2);
    return p + 2;
}

}  // namespace

std::size_t write_instant(char* out, std::int64_t ns) {
    assert(ns >= 0);
    const std::int64_t day_number = ns / nanos_per_day;
    const std::int64_t in_day_ns = ns % nanos_per_day;
    const auto seconds = static_cast<unsigned>(in_day_ns / nanos_per_second);
    auto fraction = static_cast<std::uint32_t>(in_day_ns % nanos_per_second);
    // The date (the last day written is kept: instants in a report cluster on few days), then
    // "THH:MM:SS", then ".fffffffff" without trailing zeros when not whole, then "Z".
    // Four days, by the day number's last bits: a grant's granted_at / period_start and
    // expires_at / period_end fall on two days, written in turn.
    struct DayCache {
        std::array<std::int64_t, 4> day{-1, -1, -1, -1};
        std::array<std::array<char, 10>, 4> text{};
    };
    thread_local DayCache days;
    const auto slot = static_cast<std::size_t>(day_number & 3);
    if (days.day[slot] != day_number) {
        [[maybe_unused]] const std::size_t length = write_day(days.text[slot].data(), day_number);
        assert(length == 10);  // years 1970..2199
        days.day[slot] = day_number;
    }
    std::memcpy(out, days.text[slot].data(), 10);
    char* p = out + 10;
    *p++ = 'T';
    p = write_two(p, seconds / 3600);
    *p++ = ':';
    p = write_two(p, seconds / 60 % 60);
    *p++ = ':';
    p = write_two(p, seconds % 60);
    if (fraction != 0) {
        // Milliseconds, microseconds or nanoseconds: the digits of the shortest that holds it
        // (then its trailing zeros dropped), two at a time.
        char digits[10];
        digits[0] = '.';
        int length = 0;
        if (fraction % 1'000'000 == 0) {
            const std::uint32_t ms = fraction / 1'000'000;
            write_two(digits + 1, ms / 10);
            digits[3] = static_cast<char>('0' + ms % 10);
            length = 4;
        } else if (fraction % 1'000 == 0) {
            const std::uint32_t us = fraction / 1'000;
            write_two(write_two(write_two(digits + 1, us / 10'000), us / 100 % 100), us % 100);
            length = 7;
        } else {
            char* d = write_two(digits + 1, fraction / 10'000'000);
            d = write_two(d, fraction / 100'000 % 100);
            d = write_two(d, fraction / 1'000 % 100);
            d = write_two(d, fraction / 10 % 100);
            *d = static_cast<char>('0' + fraction % 10);
            length = 10;
        }
        while (digits[length - 1] == '0') --length;
        std::memcpy(p, digits, sizeof digits);  // a fixed copy (room: instant_text_max), then the length kept
        p += length;
    }
    *p++ = 'Z';
    return static_cast<std::size_t>(p - out);
}

std::int64_t add_one_month_ns(const Instant& start) {
    const std::int64_t local_ns = start.ns + std::int64_t{start.offset_minutes} * nanos_per_minute;
    const std::int64_t day_number = local_ns / nanos_per_day;  // local_ns >= 0 for valid instants
    const std::int64_t in_day_ns = local_ns - day_number * nanos_per_day;
    const year_month_day date{sys_days{days{day_number}}};
    const std::chrono::year_month next_month = date.year() / date.month() + std::chrono::months{1};
    const day last_day = (next_month / std::chrono::last).day();
    const day clamped = date.day() > last_day ? last_day : date.day();
    const std::int64_t next_day = sys_days{next_month / clamped}.time_since_epoch().count();
    return next_day * nanos_per_day + in_day_ns - std::int64_t{start.offset_minutes} * nanos_per_minute;
}

std::int64_t local_day(std::int64_t ns, int offset_minutes) {
    const std::int64_t local_ns = ns + std::int64_t{offset_minutes} * nanos_per_minute;
    // Floor division: an instant near the epoch can fall on 1969-12-31 locally.
    return local_ns >= 0 ? local_ns / nanos_per_day : -((-local_ns + nanos_per_day - 1) / nanos_per_day);
}

std::string format_day(std::int64_t day_number) {
    char text[11];
    return std::string(text, write_day(text, day_number));
}

std::size_t write_day(char* out, std::int64_t day_number) {
    const year_month_day date{sys_days{days{day_number}}};
    const int y = static_cast<int>(date.year());
    char* p = out;
    if (y < 0) {
        *p++ = '-';
    }
    const unsigned ay = static_cast<unsigned>(y < 0 ? -y : y);
    const auto m = static_cast<unsigned>(date.month());
    const auto d = static_cast<unsigned>(date.day());
    p = write_two(p, ay / 100 % 100);
    p = write_two(p, ay % 100);
    *p++ = '-';
    p = write_two(p, m);
    *p++ = '-';
    p = write_two(p, d);
    return static_cast<std::size_t>(p - out);
}

}  // namespace credits
