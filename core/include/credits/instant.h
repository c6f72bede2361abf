// Instants and calendar math (spec §10): RFC 3339 instants between
// 1970-01-01T00:00:00Z (inclusive) and 2200-01-01T00:00:00Z (exclusive),
// kept as int64 nanoseconds since the Unix epoch, compared as UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credits {

inline constexpr std::int64_t nanos_per_second = 1'000'000'000;
inline constexpr std::int64_t nanos_per_minute = 60 * nanos_per_second;
inline constexpr std::int64_t nanos_per_day = 86'400 * nanos_per_second;
// 2200-01-01T00:00:00Z: 84,006 days after the epoch (230 years, 56 of them leap).
inline constexpr std::int64_t instant_end_ns = std::int64_t{84'006} * nanos_per_day;
inline constexpr int utc_offset_minutes_max = 14 * 60;
// Instants are non-negative, so the difference of two always fits too.
static_assert(instant_end_ns < INT64_MAX, "instants fit in int64");
// Stands for "never expires" in comparisons: later than every instant.
inline constexpr std::int64_t instant_never_ns = INT64_MAX;

struct Instant {
    std::int64_t ns = 0;          // UTC nanoseconds since 1970-01-01T00:00:00Z
    int offset_minutes = 0;       // the offset the instant was written in
    friend bool operator==(const Instant&, const Instant&) = default;
};

enum class InstantProblem { none, syntax, date, range, offset };

// Parses "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)", 'T' and 'Z' in
// either case. A date that does not exist, a leap second, a missing zone or
// an offset beyond +-14:00 is rejected; `problem` says which.
std::optional<Instant> parse_instant(std::string_view text, InstantProblem* problem = nullptr);

// "YYYY-MM-DDTHH:MM:SSZ", with the fraction only when it is not zero
// (trailing zeros dropped).
std::string format_instant(std::int64_t ns);
// The same text written at `out` (room for instant_text_max bytes); returns its length.
inline constexpr std::size_t instant_text_max = 32;
std::size_t write_instant(char* out, std::int64_t ns);

// "+08:00" / "-05:30" within +-14:00 -> minutes.
std::optional<int> parse_utc_offset(std::string_view text);
std::string format_utc_offset(int offset_minutes);

// One calendar month after `start`, counted in the offset it was written in:
// same local time of day, the day clamped to the month's last day.
std::int64_t add_one_month_ns(const Instant& start);

// Calendar day number (days since 1970-01-01) of `ns` in `offset_minutes`.
std::int64_t local_day(std::int64_t ns, int offset_minutes);
// "YYYY-MM-DD" of a day number.
std::string format_day(std::int64_t day);
// The same text written at `out` (room for 11 bytes); returns its length.
std::size_t write_day(char* out, std::int64_t day);

}  // namespace credits
