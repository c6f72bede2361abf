// Forecast (spec §12): when the balance runs out at the recent charging rate,
// what each expiring grant is likely to leave unused, and the last 30 days'
// usage as the Pricing calculator's "replay" input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "credits/burn_down.h"
#include "credits/ledger.h"

namespace credits {

inline constexpr std::int64_t forecast_window_ns = 30 * nanos_per_day;

// The rate's window: charges of sessions completed in (T - 30 days, T];
// its length is counted from max(T - 30 days, the opening) (never negative).
struct ForecastWindow {
    std::int64_t start_ns = 0;
    std::int64_t length_ns = 0;
    std::int64_t charged_tokens = 0;
};
ForecastWindow forecast_window(const Ledger& ledger, const BurnDownState& state);

// charged / window in tokens per day, rounded down, computed in 128 bits and
// saturated at amount_tokens_max (a window shorter than a day can exceed it);
// 0 for an empty window.
std::int64_t rate_tokens_per_day(std::int64_t charged_tokens, std::int64_t window_ns);

struct ForecastProjection {
    std::optional<std::int64_t> runs_out_at_ns;     // nullopt: never, or not before 2200
    std::vector<std::int64_t> likely_unused_tokens;  // per grant index, for expiring grants
    // Grant visits after the sort (drains and expiries): at most about twice
    // the number of grants, whatever the number of distinct expiries.
    std::uint64_t grant_steps = 0;
};

// The simulation forward from the state at `charged` tokens per `window_ns`.
// O(n log n) in the number of grants.
ForecastProjection forecast_projection(const Ledger& ledger, const BurnDownState& state, std::int64_t charged,
                                       std::int64_t window_ns);

std::string forecast_json(const Ledger& ledger, const BurnDownState& state);

}  // namespace credits
