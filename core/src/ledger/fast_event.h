// Internal to the core: the fast reader's event (fast_reader.cpp). Most
// events of a real ledger are written plainly: ASCII strings without escapes,
// whole numbers, provider usage objects of counts, strings and booleans.
// Those are read straight from the document bytes into a FlatEvent, and
// FlatEventReader gives the decoders of builder.h the same answers the strict
// reader would for a valid event. Wherever the strict reader would report a
// problem it only notes failed(); the event then goes to the strict reader,
// which explains it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "credits/amount.h"
#include "credits/instant.h"
#include "credits/provider_usage.h"
#include "ledger/event_table.h"

namespace credits::ledger_reading {

struct FlatEvent {
    static constexpr std::size_t usage_members_max = 24;
    MemberSet present = 0;                   // bit(m) for each member read
    std::string_view text[member_count];     // string members (and `credits` written as a string), viewing the document
    bool credits_is_count = false;           // `credits` written as an integer: credits_count
    std::int64_t credits_count = 0;
    std::int64_t tokens[3] = {0, 0, 0};      // tokens.output, .input_cache_miss, .input_cache_hit
    std::string_view provider_format;
    bool provider_has_format = false;
    bool provider_has_usage = false;
    std::size_t usage_count = 0;
    UsageMember usage[usage_members_max];

    // Only `present`, the counts and the flags need clearing: a text or a usage
    // member is read only when present says it was written.
    void reset() {
        present = 0;
        credits_is_count = false;
        tokens[0] = tokens[1] = tokens[2] = 0;
        provider_has_format = provider_has_usage = false;
        usage_count = 0;
    }
    [[nodiscard]] bool has(Member m) const { return (present & bit(m)) != 0; }
    [[nodiscard]] std::string_view at(Member m) const { return text[static_cast<std::size_t>(m)]; }
};

class FlatEventReader {
public:
    FlatEventReader(const FlatEvent& e, const EventSpec& spec) : e_(e), spec_(spec) {}

    [[nodiscard]] const EventSpec& spec() const { return spec_; }
    [[nodiscard]] bool failed() const { return failed_; }

    std::optional<std::string_view> id(Member m) {
        if (!e_.has(m)) return absent(m);
        const std::string_view text = e_.at(m);
        if (text.empty() || text.size() > id_bytes_max) return fail<std::string_view>();
        return text;
    }
    std::optional<std::string_view> text(Member m) {
        if (!e_.has(m)) return absent(m);
        const std::string_view text = e_.at(m);
        if (text.size() > spec_of(m).bytes_max) return fail<std::string_view>();
        return text;
    }
    std::optional<Instant> instant(Member m) {
        if (!e_.has(m)) return absent_instant(m);
        const std::string_view text = e_.at(m);
        if (text.size() > instant_text_bytes_max) return fail<Instant>();
        const std::optional<Instant> parsed = parse_instant(text);
        if (!parsed) return fail<Instant>();
        return parsed;
    }
    std::optional<std::int64_t> credit_tokens(Member m, bool zero_allowed) {
        if (!e_.has(m)) {
            if (requires_member(spec_, m)) failed_ = true;
            return std::nullopt;
        }
        const std::optional<std::int64_t> tokens =
            e_.credits_is_count ? credits_to_tokens(e_.credits_count) : parse_credit_string(e_.at(m));
        if (!tokens || (*tokens == 0 && !zero_allowed)) return fail<std::int64_t>();
        return tokens;
    }
    bool given(Member m) const { return e_.has(m); }
    std::optional<TokenCounts> usage_tokens() {
        if (e_.has(Member::tokens) == e_.has(Member::provider_usage)) return fail<TokenCounts>();
        if (e_.has(Member::tokens)) return TokenCounts{e_.tokens[0], e_.tokens[1], e_.tokens[2]};
        if (!e_.provider_has_format || !e_.provider_has_usage || e_.provider_format.size() > 64)
            return fail<TokenCounts>();
        const std::optional<TokenCounts> counts =
            normalize_provider_usage_fast(e_.provider_format, e_.usage, e_.usage_count);
        if (!counts) return fail<TokenCounts>();
        return counts;
    }
    template <typename Message>
    void problem(std::string_view, Member, const Message&) {
        failed_ = true;
    }

private:
    template <typename T>
    std::optional<T> fail() {
        failed_ = true;
        return std::nullopt;
    }
    std::optional<std::string_view> absent(Member m) {
        if (requires_member(spec_, m)) failed_ = true;
        return std::nullopt;
    }
    std::optional<Instant> absent_instant(Member m) {
        if (requires_member(spec_, m)) failed_ = true;
        return std::nullopt;
    }

    const FlatEvent& e_;
    const EventSpec& spec_;
    bool failed_ = false;
};

}  // namespace credits::ledger_reading
