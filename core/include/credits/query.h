// A question (spec §12): the instant T it is asked at, the usage range
// [from, to) and the zone daily rows are drawn in, read and checked once.
#pragma once

#include <cstdint>
#include <string_view>

#include "credits/ledger.h"
#include "credits/result.h"
#include "credits/zone.h"

namespace credits {

// A question's instant and usage range: records count when
// from <= at < to, or at <= to when `to_inclusive` (to defaulted to T).
struct Query {
    std::int64_t at_ns = 0;
    std::int64_t from_ns = 0;
    std::int64_t to_ns = 0;
    bool to_inclusive = true;
    int utc_offset_minutes = 0;  // the offset in force at `at` (the reports' "utc_offset")
    // The day boundaries of daily rows: utc_offset_minutes without changes,
    // unless the question gave utc_offsets (then echoed in the reports).
    ZoneOffsets zone;
    bool zone_given = false;
};

// Reads at (required), from, to, utc_offset and utc_offsets (optional,
// empty = absent: the account's opening, T inclusive, the account's offset;
// at most one of the two offset parameters).
Result<Query> make_query(const Ledger& ledger, std::string_view at, std::string_view from = {},
                         std::string_view to = {}, std::string_view utc_offset = {},
                         std::string_view utc_offsets = {});

}  // namespace credits
