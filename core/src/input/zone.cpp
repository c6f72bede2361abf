#include "credits/zone.h"

#include <algorithm>
#include <cassert>

#include "credits/instant.h"
#include "credits/json_writer.h"

namespace credits {

int ZoneOffsets::offset_at(std::int64_t ns) const {
    const auto after = std::upper_bound(changes.begin(), changes.end(), ns,
                                        [](std::int64_t at, const UtcOffsetChange& c) { return at < c.from_ns; });
    return after == changes.begin() ? initial_minutes : std::prev(after)->offset_minutes;
}

std::int64_t ZoneOffsets::day_start_ns(std::int64_t day) const {
    assert(day >= 0 && day <= instant_end_ns / nanos_per_day);
    // The earliest instant whose local date is >= day is either a local
    // midnight under one offset (day x 86,400 s - offset) or the instant a
    // change takes effect: try each (at most changes_max + 1 offsets and
    // changes_max changes) and keep the earliest that is on or after the day.
    const auto on_or_after = [&](std::int64_t ns) { return local_day(ns, offset_at(ns)) >= day; };
    std::int64_t best = instant_end_ns;
    const auto consider = [&](std::int64_t ns) {
        ns = std::clamp<std::int64_t>(ns, 0, instant_end_ns);
        if (ns < best && (ns == instant_end_ns || on_or_after(ns))) best = ns;
    };
    const auto midnight = [&](int offset_minutes) { return day * nanos_per_day - offset_minutes * nanos_per_minute; };
    consider(midnight(initial_minutes));
    for (const UtcOffsetChange& change : changes) {
        consider(midnight(change.offset_minutes));
        consider(change.from_ns);
    }
    return best;
}

int ZoneCursor::offset_at(std::int64_t ns) {
    assert(ns >= last_ns_ && "a ZoneCursor only walks forward");
    last_ns_ = ns;
    while (next_ < zone_.changes.size() && zone_.changes[next_].from_ns <= ns) ++next_;
    return next_ == 0 ? zone_.initial_minutes : zone_.changes[next_ - 1].offset_minutes;
}

namespace {

constexpr std::string_view example = "\"+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00\"";

std::string quoted(std::string_view text) {
    // Items are echoed in messages; a hostile item is cut between characters, not copied whole.
    constexpr std::size_t shown_bytes_max = 48;
    return "\"" + excerpt(text, shown_bytes_max) + "\"";
}

// Reads one offset item; false (with the error added) when it is not one.
bool read_offset(std::string_view text, const std::string& pointer, ErrorList& errors, int& minutes) {
    if (const std::optional<int> parsed = parse_utc_offset(text)) {
        minutes = *parsed;
        return true;
    }
    const bool well_formed = text.size() == 6 && (text[0] == '+' || text[0] == '-') && text[3] == ':' &&
                             std::all_of(text.begin() + 1, text.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }) &&
                             std::all_of(text.begin() + 4, text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                             text[4] <= '5';
    if (well_formed) {
        errors.add(code::invalid_offset, std::nullopt, pointer,
                   "The offset " + quoted(text) + " is beyond +-14:00, which no zone uses.");
    } else {
        errors.add(code::invalid_utc_offsets, std::nullopt, pointer,
                   "An offset looks like \"+02:00\" or \"-05:30\"; found " + quoted(text) + ".");
    }
    return false;
}

// Reads "INSTANT=OFFSET" (item `index` >= 1); false when it is not one.
bool read_change(std::string_view item, std::size_t index, ErrorList& errors, UtcOffsetChange& change) {
    const std::string pointer = "/utc_offsets/" + std::to_string(index);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
        errors.add(code::invalid_utc_offsets, std::nullopt, pointer,
                   "Every item after the first is INSTANT=OFFSET, the instant a new offset takes effect, like "
                   "\"2026-03-29T01:00:00Z=+02:00\"; found " + quoted(item) + ".");
        return false;
    }
    InstantProblem problem = InstantProblem::none;
    const std::optional<Instant> from = parse_instant(item.substr(0, equals), &problem);
    bool ok = from.has_value();
    if (!ok) {
        const bool range = problem == InstantProblem::range;
        errors.add(range ? code::instant_out_of_range : code::invalid_instant, std::nullopt, pointer + "/from",
                   range ? "The change " + quoted(item) + " is outside 1970-01-01 to 2200-01-01, the instants the core knows."
                         : "The change " + quoted(item) + " does not start with an RFC 3339 instant with a zone.");
    }
    int minutes = 0;
    ok = read_offset(item.substr(equals + 1), pointer + "/offset", errors, minutes) && ok;
    if (ok) change = UtcOffsetChange{from->ns, minutes};
    return ok;
}

}  // namespace

Result<ZoneOffsets> parse_zone_offsets(std::string_view text) {
    ErrorList errors;
    const std::size_t items = static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1;
    if (items > ZoneOffsets::changes_max + 1) {
        errors.add(code::too_many_utc_offsets, std::nullopt, "/utc_offsets",
                   "\"utc_offsets\" lists " + std::to_string(items - 1) + " changes of offset; at most " +
                       std::to_string(ZoneOffsets::changes_max) + " are read (list those of the question's range).");
        return Result<ZoneOffsets>::failure(errors.take());
    }
    ZoneOffsets zone;
    zone.changes.reserve(items - 1);
    std::size_t start = 0;
    for (std::size_t index = 0; index < items; ++index) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view item = text.substr(start, comma - start);
        start = comma + 1;
        if (index == 0) {
            if (item.find('=') != std::string_view::npos) {
                errors.add(code::invalid_utc_offsets, std::nullopt, "/utc_offsets/0/from",
                           "The first item is the offset in force before any change, without an instant, as in " +
                               std::string(example) + "; found " + quoted(item) + ".");
            } else {
                read_offset(item, "/utc_offsets/0/offset", errors, zone.initial_minutes);
            }
            continue;
        }
        UtcOffsetChange change;
        if (!read_change(item, index, errors, change)) continue;
        if (!zone.changes.empty() && change.from_ns <= zone.changes.back().from_ns) {
            const bool same = change.from_ns == zone.changes.back().from_ns;
            errors.add(same ? code::utc_offsets_duplicate : code::utc_offsets_unsorted, std::nullopt,
                       "/utc_offsets/" + std::to_string(index) + "/from",
                       same ? "Two changes of offset take effect at " + format_instant(change.from_ns) +
                                  "; a zone has one offset at a time."
                            : "The change at " + format_instant(change.from_ns) +
                                  " comes after a later one; list changes in time order.");
            continue;
        }
        zone.changes.push_back(change);
    }
    if (!errors.empty()) return Result<ZoneOffsets>::failure(errors.take());
    assert(std::is_sorted(zone.changes.begin(), zone.changes.end(),
                          [](const UtcOffsetChange& a, const UtcOffsetChange& b) { return a.from_ns < b.from_ns; }));
    return Result<ZoneOffsets>::success(std::move(zone));
}

}  // namespace credits
