// Internal to the core: the strict reader of one event's members, over
// nlohmann's DOM (json_input.h's ObjectReader), for the decoders of
// builder.h. Every problem becomes an error with the member's pointer; the
// member names, which members are required and the string limits come from
// the event table (event_table.h).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "credits/json_input.h"
#include "credits/provider_usage.h"
#include "ledger/event_table.h"

namespace credits::ledger_reading {

class StrictEventReader {
public:
    StrictEventReader(ObjectReader& reader, const EventSpec& spec, ErrorList& errors, std::string event_id)
        : reader_(reader), spec_(spec), errors_(errors), event_id_(std::move(event_id)) {}

    [[nodiscard]] const EventSpec& spec() const { return spec_; }
    // The members outside the type's table are unknown fields.
    void reject_unknown() {
        const EventSpec& spec = spec_;
        reader_.reject_unknown_if([&spec](std::string_view name) {
            const Member m = find_member(name);
            return m != Member::count && allows(spec, m);
        });
    }

    std::optional<std::string_view> id(Member m) { return keep(m, reader_.id(name_of(m), required(m))); }
    std::optional<std::string_view> text(Member m) {
        return keep(m, reader_.string(name_of(m), required(m), spec_of(m).bytes_max));
    }
    std::optional<Instant> instant(Member m) { return reader_.instant(name_of(m), required(m)); }
    std::optional<std::int64_t> credit_tokens(Member m, bool zero_allowed) {
        return reader_.credit_tokens(name_of(m), required(m), zero_allowed);
    }
    // Given at all (present and not null), valid or not.
    bool given(Member m) { return reader_.get(name_of(m), false) != nullptr; }
    // `tokens` or `provider_usage`, exactly one of them (usage.cpp).
    std::optional<TokenCounts> usage_tokens();
    // `message()` makes the sentence: only the strict reader calls it, so the
    // fast reader's decoders carry no code to build messages they never show.
    template <typename Message>
    void problem(std::string_view error_code, Member m, const Message& message) {
        reader_.add_error(error_code, reader_.member_pointer(name_of(m)), message());
    }

private:
    [[nodiscard]] bool required(Member m) const { return requires_member(spec_, m); }
    // The decoders hold views: the strings are kept here until the event is applied.
    std::optional<std::string_view> keep(Member m, std::optional<std::string> text) {
        if (!text) return std::nullopt;
        std::string& slot = kept_[static_cast<std::size_t>(m)];
        slot = std::move(*text);
        return std::string_view(slot);
    }

    ObjectReader& reader_;
    const EventSpec& spec_;
    ErrorList& errors_;
    std::string event_id_;
    std::array<std::string, member_count> kept_;
};

}  // namespace credits::ledger_reading
