#include "credits/amount.h"

#include <cassert>
#include <cstdint>

namespace credits {

std::string format_credits(std::int64_t tokens) {
    char text[credits_text_max];
    return std::string(text, write_credits(text, tokens));
}

std::size_t write_credits(char* out, std::int64_t tokens) {
    // Work on the magnitude as unsigned so INT64_MIN is exact too.
    const bool negative = tokens < 0;
    const std::uint64_t magnitude =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(tokens) : static_cast<std::uint64_t>(tokens);
    std::uint64_t whole = magnitude / static_cast<std::uint64_t>(tokens_per_credit);
    std::uint64_t fraction = magnitude % static_cast<std::uint64_t>(tokens_per_credit);
    // Sign, up to 20 whole digits, the point and four fractional digits, written backwards.
    char buffer[1 + 20 + 1 + credit_fraction_digits];
    char* end = buffer + sizeof buffer;
    char* p = end;
    for (int i = 0; i < credit_fraction_digits; ++i) {
        *--p = static_cast<char>('0' + fraction % 10);
        fraction /= 10;
    }
    assert(fraction == 0);
    *--p = '.';
    do {
        *--p = static_cast<char>('0' + whole % 10);
        whole /= 10;
    } while (whole != 0);
    if (negative) *--p = '-';
    const auto length = static_cast<std::size_t>(end - p);
    for (std::size_t i = 0; i < length; ++i) out[i] = p[i];
    return length;
}

std::optional<std::int64_t> parse_credit_string(std::string_view text, bool* out_of_range) {
    if (out_of_range != nullptr) *out_of_range = false;
    const std::size_t dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    if (whole.empty()) return std::nullopt;
    if (whole.size() > 1 && whole[0] == '0') return std::nullopt;  // no leading zeros
    if (dot != std::string_view::npos &&
        (fraction.empty() || fraction.size() > static_cast<std::size_t>(credit_fraction_digits)))
        return std::nullopt;
    for (const char c : whole)
        if (c < '0' || c > '9') return std::nullopt;
    for (const char c : fraction)
        if (c < '0' || c > '9') return std::nullopt;
    // 2^53 - 1 tokens is under 10^12 credits: more than 13 whole digits is out of range.
    if (whole.size() > 13) {
        if (out_of_range != nullptr) *out_of_range = true;
        return std::nullopt;
    }
    std::int64_t whole_credits = 0;
    for (const char c : whole) whole_credits = whole_credits * 10 + (c - '0');
    std::int64_t fraction_tokens = 0;
    for (int i = 0; i < credit_fraction_digits; ++i) {
        const auto index = static_cast<std::size_t>(i);
        fraction_tokens = fraction_tokens * 10 + (index < fraction.size() ? fraction[index] - '0' : 0);
    }
    const std::optional<std::int64_t> whole_tokens = credits_to_tokens(whole_credits);
    if (!whole_tokens || *whole_tokens > amount_tokens_max - fraction_tokens) {
        if (out_of_range != nullptr) *out_of_range = true;
        return std::nullopt;
    }
    return *whole_tokens + fraction_tokens;
}

std::optional<std::int64_t> credits_to_tokens(std::int64_t whole_credits) {
    if (whole_credits < 0 || whole_credits > amount_tokens_max / tokens_per_credit) return std::nullopt;
    return whole_credits * tokens_per_credit;
}

}  // namespace credits
