// The charge rule (spec §2): what the agent_chat records of a completed session cost.
#pragma once

#include <cstdint>

namespace credits {

// Output tokens plus cache-miss input tokens; cache hits are never charged.
[[nodiscard]] constexpr std::int64_t charged_tokens(std::int64_t output_tokens, std::int64_t input_cache_miss_tokens) {
    return output_tokens + input_cache_miss_tokens;
}

}  // namespace credits
