#include "credits/query.h"

#include <algorithm>
#include <optional>
#include <string>

#include "credits/forecast.h"
#include "credits/instant.h"
#include "credits/json_writer.h"

namespace credits {

namespace {

// "YYYY-MM-DD" -> its day number, when it is a date (and only a date).
std::optional<std::int64_t> parse_date(std::string_view text) {
    if (text.size() != 10) return std::nullopt;
    const std::optional<Instant> midnight = parse_instant(std::string(text) + "T00:00:00Z");
    if (!midnight) return std::nullopt;
    return midnight->ns / nanos_per_day;
}

// The forecast's window, as a range: the records after T - 30 days (the
// first instant counted is 1 ns later), not before the account's opening.
std::int64_t last_30_days_from_ns(const Ledger& ledger, std::int64_t at_ns) {
    return std::min(std::max(at_ns - forecast_window_ns + 1, ledger.opened_at_ns), at_ns);
}

// The offset (or the zone's offsets) of the question; errors go to `errors`.
void read_zone(Query& query, std::string_view utc_offset, std::string_view utc_offsets, const Ledger& ledger,
               ErrorList& errors) {
    query.utc_offset_minutes = ledger.utc_offset_minutes;
    if (!utc_offset.empty()) {
        const std::optional<int> minutes = parse_utc_offset(utc_offset);
        if (!minutes) {
            errors.add(code::invalid_query, std::nullopt, "/utc_offset",
                       "\"utc_offset\" must look like \"+08:00\" or \"-05:30\", within +-14:00; found \"" +
                           excerpt(utc_offset) + "\".");
        }
        query.utc_offset_minutes = minutes.value_or(0);
    }
    query.zone.initial_minutes = query.utc_offset_minutes;
    if (!utc_offsets.empty()) {
        if (!utc_offset.empty()) {
            errors.add(code::invalid_query, std::nullopt, "/utc_offsets",
                       "Give \"utc_offset\" (one offset) or \"utc_offsets\" (a zone's offsets over time), not both.");
        }
        Result<ZoneOffsets> zone = parse_zone_offsets(utc_offsets);
        for (Error& e : zone.errors) errors.add(e.code, std::nullopt, std::move(e.pointer), std::move(e.message));
        if (zone.ok()) {
            query.zone = std::move(*zone.value);
            query.zone_given = true;
        }
    }
}

}  // namespace

Result<Query> make_query(const Ledger& ledger, std::string_view at, std::string_view from, std::string_view to,
                         std::string_view utc_offset, std::string_view utc_offsets) {
    ErrorList errors;
    const auto read = [&](std::string_view text, std::string_view name) -> std::optional<std::int64_t> {
        InstantProblem problem = InstantProblem::none;
        const std::optional<Instant> instant = parse_instant(text, &problem);
        if (!instant) {
            errors.add(code::invalid_query, std::nullopt, "/" + std::string(name),
                       "\"" + std::string(name) + "\" must be an RFC 3339 instant with a zone between 1970 and 2200, like "
                       "\"2026-12-01T00:00:00Z\"" + std::string(name == "at" ? "" : name == "from" ? ", a date or \"last_30_days\"" : " or a date") +
                       "; found \"" + excerpt(text) + "\".");
            return std::nullopt;
        }
        return instant->ns;
    };
    Query query;
    if (at.empty()) {
        errors.add(code::invalid_query, std::nullopt, "/at", "Every question needs the instant \"at\" it is asked at.");
        return Result<Query>::failure(errors.take());
    }
    // The zone first (dates are days in it); its errors follow those of the instants.
    ErrorList zone_errors;
    read_zone(query, utc_offset, utc_offsets, ledger, zone_errors);
    const auto at_ns = read(at, "at");
    // A date is a whole local day in the question's zone: `from` its first
    // instant, `to` the first instant of the next day, cut at T (a day not
    // over yet counts up to T). "last_30_days" is the forecast's window.
    const std::optional<std::int64_t> from_day = parse_date(from);
    const std::optional<std::int64_t> to_day = parse_date(to);
    std::optional<std::int64_t> from_ns;
    if (from.empty()) from_ns = ledger.opened_at_ns;
    else if (from == "last_30_days") from_ns = at_ns ? std::optional(last_30_days_from_ns(ledger, *at_ns)) : std::nullopt;
    else if (from_day) from_ns = query.zone.day_start_ns(*from_day);
    else from_ns = read(from, "from");
    std::optional<std::int64_t> to_ns = at_ns;
    bool to_inclusive = to.empty();
    if (to_day && at_ns) {
        const std::int64_t end_ns = query.zone.day_start_ns(*to_day + 1);
        to_inclusive = end_ns > *at_ns;
        to_ns = std::min(end_ns, *at_ns);
    } else if (!to.empty() && !to_day) {
        to_ns = read(to, "to");
    }
    if (at_ns && ledger.checkpoint && *at_ns < ledger.checkpoint->at_ns) {
        // The state before S is summed up: no figure at an earlier instant can be derived from it.
        errors.add(code::before_checkpoint, std::nullopt, "/at",
                   "The ledger starts from a checkpoint at " + format_instant(ledger.checkpoint->at_ns) +
                       "; a question can be asked at that instant or later, not at " + format_instant(*at_ns) + ".");
    }
    if (!at_ns || !from_ns || !to_ns) return Result<Query>::failure(errors.take());
    if (*to_ns > *at_ns) {
        errors.add(code::invalid_query, std::nullopt, "/to",
                   "\"to\" (" + format_instant(*to_ns) + ") is later than the report instant \"at\" (" +
                       format_instant(*at_ns) + "); usage after the report instant is not known yet.");
    }
    // Two dates name whole days: the last one may not come before the first
    // (the same day twice is that one day).
    const bool days_reversed = from_day && to_day && *to_day < *from_day;
    if ((!from.empty() && *from_ns > *to_ns) || days_reversed) {
        errors.add(code::invalid_query, std::nullopt, "/from", "\"from\" must not be later than \"to\".");
    }
    for (Error& e : zone_errors.take()) errors.add(e.code, std::nullopt, std::move(e.pointer), std::move(e.message));
    if (!errors.empty()) return Result<Query>::failure(errors.take());
    if (query.zone_given) query.utc_offset_minutes = query.zone.offset_at(*at_ns);
    query.at_ns = *at_ns;
    query.from_ns = *from_ns;
    query.to_ns = *to_ns;
    query.to_inclusive = to_inclusive;
    return Result<Query>::success(query);
}

}  // namespace credits
