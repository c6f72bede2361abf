#include "credits/query.h"

#include <optional>
#include <string>

#include "credits/instant.h"
#include "credits/json_writer.h"

namespace credits {

Result<Query> make_query(const Ledger& ledger, std::string_view at, std::string_view from, std::string_view to,
                         std::string_view utc_offset, std::string_view utc_offsets) {
    ErrorList errors;
    const auto read = [&](std::string_view text, std::string_view name) -> std::optional<std::int64_t> {
        InstantProblem problem = InstantProblem::none;
        const std::optional<Instant> instant = parse_instant(text, &problem);
        if (!instant) {
            errors.add(code::invalid_query, std::nullopt, "/" + std::string(name),
                       "\"" + std::string(name) + "\" must be an RFC 3339 instant with a zone between 1970 and 2200, like "
                       "\"2026-12-01T00:00:00Z\"; found \"" + excerpt(text) + "\".");
            return std::nullopt;
        }
        return instant->ns;
    };
    Query query;
    if (at.empty()) {
        errors.add(code::invalid_query, std::nullopt, "/at", "Every question needs the instant \"at\" it is asked at.");
        return Result<Query>::failure(errors.take());
    }
    const auto at_ns = read(at, "at");
    const auto from_ns = from.empty() ? std::optional<std::int64_t>(ledger.opened_at_ns) : read(from, "from");
    const auto to_ns = to.empty() ? at_ns : read(to, "to");
    if (!at_ns || !from_ns || !to_ns) return Result<Query>::failure(errors.take());
    if (*to_ns > *at_ns) {
        errors.add(code::invalid_query, std::nullopt, "/to",
                   "\"to\" (" + format_instant(*to_ns) + ") is later than the report instant \"at\" (" +
                       format_instant(*at_ns) + "); usage after the report instant is not known yet.");
    }
    if (!from.empty() && *from_ns > *to_ns) {
        errors.add(code::invalid_query, std::nullopt, "/from", "\"from\" must not be later than \"to\".");
    }
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
            query.utc_offset_minutes = query.zone.offset_at(*at_ns);
        }
    }
    if (!errors.empty()) return Result<Query>::failure(errors.take());
    query.at_ns = *at_ns;
    query.from_ns = *from_ns;
    query.to_ns = *to_ns;
    query.to_inclusive = to.empty();
    return Result<Query>::success(query);
}

}  // namespace credits
