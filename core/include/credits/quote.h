// The Pricing page calculator (spec §12 "Quote"): what a month of expected
// usage needs, and what each way of paying for it costs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "credits/documents.h"
#include "credits/result.h"

namespace credits {

struct QuoteInput {
    std::int64_t output_tokens = 0;
    std::int64_t input_tokens = 0;
    std::int64_t cache_hit_rate_bp = 0;  // basis points, 0..10000
    std::optional<std::string> plan;     // limit plan options to this plan
};

Result<QuoteInput> parse_quote_input(std::string_view text, const Catalog& catalog);

// The quote document, or errors (amount_out_of_range) when a cost would not
// fit in 2^53 - 1.
Result<std::string> quote_json(const Rules& rules, const Catalog& catalog, const QuoteInput& input);

}  // namespace credits
