// A time zone as the core needs it for daily rows: the UTC offset in force
// before the first change, then each change of offset (a daylight-saving
// switch, a zone's law changing) with the instant it takes effect. The host
// that knows the zone lists the changes (the browser through Intl, a server
// through the tz database); the core only reads the list and cuts days by it.
// docs/report-format.md ("utc_offsets") and docs/decisions.md say why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "credits/result.h"

namespace credits {

struct UtcOffsetChange {
    std::int64_t from_ns = 0;  // the first instant the new offset applies to
    int offset_minutes = 0;
    friend bool operator==(const UtcOffsetChange&, const UtcOffsetChange&) = default;
};

struct ZoneOffsets {
    // More changes than a zone with two switches a year has from 1970 to
    // 2200 (460): a bound on the question's size, not a rule of any zone.
    static constexpr std::size_t changes_max = 1024;

    int initial_minutes = 0;               // in force before changes[0].from_ns
    std::vector<UtcOffsetChange> changes;  // strictly ascending from_ns

    // The offset in force at `ns` (a change applies from its instant on).
    [[nodiscard]] int offset_at(std::int64_t ns) const;
    // The first instant of calendar day `day` (days since 1970-01-01) in this
    // zone: the earliest instant whose local date is `day` or later, so a day
    // a change of offset starts late (clocks skipping midnight) starts then.
    // Clamped to [0, instant_end_ns].
    [[nodiscard]] std::int64_t day_start_ns(std::int64_t day) const;
    friend bool operator==(const ZoneOffsets&, const ZoneOffsets&) = default;
};

// Reads the compact form "+01:00,2026-03-29T01:00:00Z=+02:00,...": the
// initial offset, then INSTANT=OFFSET changes in strictly ascending instant
// order. Errors point at "/utc_offsets/N" (N counts the comma-separated
// items from 0) with the codes of docs/errors.md.
Result<ZoneOffsets> parse_zone_offsets(std::string_view text);

// Walks a zone forward in time: offset_at() for non-decreasing instants in
// amortised constant time (records come in time order).
class ZoneCursor {
public:
    explicit ZoneCursor(const ZoneOffsets& zone) : zone_(zone) {}
    int offset_at(std::int64_t ns);

private:
    const ZoneOffsets& zone_;
    std::size_t next_ = 0;  // the first change not yet in force
    std::int64_t last_ns_ = 0;
};

}  // namespace credits
