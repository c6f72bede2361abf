// Provider usage objects (spec §3): each provider reports token usage in its
// own shape; the core normalizes it to three counts. A missing or null count
// is 0; fields the format's formula does not use are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "credits/json_input.h"

namespace credits {

struct TokenCounts {
    std::int64_t output_tokens = 0;
    std::int64_t input_cache_miss_tokens = 0;
    std::int64_t input_cache_hit_tokens = 0;
    friend bool operator==(const TokenCounts&, const TokenCounts&) = default;
};

// The longest `format` name read.
inline constexpr std::size_t provider_format_bytes_max = 64;

// The formats of spec §3, in a stable order.
inline constexpr std::string_view provider_formats[] = {
    "openai_chat", "openai_responses", "anthropic_messages", "gemini", "deepseek"};

// Normalizes one `usage` object of `format`. `pointer` points at the `usage`
// object itself; errors are added with that prefix (unknown_provider_format
// points at the sibling "format" member, i.e. pointer's parent + "/format").
// Returns nullopt when any error was added.
std::optional<TokenCounts> normalize_provider_usage(std::string_view format, const Json& usage,
                                                    const std::string& pointer,
                                                    const std::optional<std::string>& event_id,
                                                    ErrorList& errors);

// The ledger's fast reader's view of a `usage` object (core/src/ledger/fast_reader.cpp):
// its members, and the members of its objects one level down (`object_key`
// set). Counts keep their value; a member of any other plain value (a string,
// true, false, an array) is `other`, which a formula may ignore but not use.
struct UsageMember {
    enum class Kind : std::uint8_t { count, object, null, other };
    std::string_view object_key;  // empty for a member of `usage` itself
    std::string_view key;
    Kind kind = Kind::count;
    std::int64_t value = 0;  // for Kind::count, at most 2^53 - 1
};

// The same formulas as normalize_provider_usage, over that view. Returns
// nullopt whenever normalize_provider_usage would report a problem (or the
// format is unknown), so the caller can fall back to the strict path, which
// explains it; otherwise the very counts normalize_provider_usage returns.
std::optional<TokenCounts> normalize_provider_usage_fast(std::string_view format, const UsageMember* members,
                                                         std::size_t count);

}  // namespace credits
