// "This period" of the account report (docs/report-format.md, billing_period):
// the billing period the console's "This period" range and its low-balance
// warning are about, with the plan credits used and granted in it.
#pragma once

#include <cstdint>
#include <vector>

#include "credits/burn_down.h"
#include "credits/json_writer.h"
#include "credits/ledger.h"

namespace credits {

enum class PeriodBasis : std::uint8_t { plan, calendar_month };

struct BillingPeriod {
    PeriodBasis basis = PeriodBasis::calendar_month;
    std::int64_t start_ns = 0;  // inclusive
    std::int64_t end_ns = 0;    // exclusive
    std::int64_t usage_from_ns = 0;       // max(start, opening), never after T: the range's "from"
    std::vector<std::uint32_t> grants;    // the warning's basis, in report order
    std::int64_t granted_tokens = 0;
    std::int64_t used_tokens = 0;
    std::int64_t used_bp = -1;  // floor(used x 10000 / granted); -1 when nothing is granted
};

// At the state's instant T. The period is the billing period of the active
// plan grants whose period has begun (the latest-starting one when several),
// else the calendar month of T in the account's utc_offset; the warning's
// basis is those plan grants, else every active grant that granted tokens.
BillingPeriod billing_period(const Ledger& ledger, const BurnDownState& state);

// "billing_period": {...}
void write_billing_period(JsonWriter& w, const Ledger& ledger, const BurnDownState& state);

}  // namespace credits
