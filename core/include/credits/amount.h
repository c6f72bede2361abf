// Amounts (spec §1): every amount is a whole number of tokens in an int64;
// credits are an exact decimal with four fractional digits, formatted from
// tokens with integer arithmetic only. No floating point anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace credits {

// Largest amount that crosses into JavaScript as an exact Number (2^53 - 1).
inline constexpr std::int64_t amount_tokens_max = (std::int64_t{1} << 53) - 1;
// rules/1 fixes tokens_per_credit at 10,000: one token is 0.0001 credit.
inline constexpr std::int64_t tokens_per_credit = 10000;
inline constexpr int credit_fraction_digits = 4;
static_assert(tokens_per_credit == 10000, "credits are formatted with four fractional digits");
static_assert(amount_tokens_max < INT64_MAX / 4, "sums of two amounts must not overflow int64");

// "1234.5678", "0.0000", "-0.4200". Exact for every int64.
std::string format_credits(std::int64_t tokens);
// The same text written at `out` (room for credits_text_max bytes); returns its length.
inline constexpr std::size_t credits_text_max = 32;
std::size_t write_credits(char* out, std::int64_t tokens);

// Parses a credit amount written as a decimal string matching
// (0|[1-9][0-9]*)(\.[0-9]{1,4})? into tokens. nullopt when the text does not
// match; `out_of_range` is set when it matches but exceeds amount_tokens_max.
std::optional<std::int64_t> parse_credit_string(std::string_view text, bool* out_of_range = nullptr);

// Checked helpers: the result is nullopt instead of exceeding amount_tokens_max.
std::optional<std::int64_t> credits_to_tokens(std::int64_t whole_credits);

inline bool amount_in_range(std::int64_t tokens) {
    return tokens >= 0 && tokens <= amount_tokens_max;
}

}  // namespace credits
