// Forecast (spec §12): when the balance runs out at the recent charging rate,
// and what each expiring grant is likely to leave unused.
#pragma once

#include <cstdint>
#include <string>

#include "credits/engine.h"
#include "credits/ledger.h"

namespace credits {

inline constexpr std::int64_t forecast_window_ns = 30 * nanos_per_day;

std::string forecast_json(const Ledger& ledger, const State& state);

}  // namespace credits
