// Internal to the core: the event types of the ledger document (spec §10,
// "Fields of each event type"), declared once. Both readers of an event read
// these tables -- the strict one (ObjectReader over nlohmann's DOM) and the
// fast one (FlatEvent over the document bytes) -- for which members an event
// type allows, which it requires, how long each string member may be and
// how a service name maps to a Service.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "credits/json_input.h"
#include "credits/ledger.h"
#include "input/fast_json.h"

namespace credits::ledger_reading {

// Every member an event of any type may have, in one numbering.
enum class Member : std::uint8_t {
    id, type, at, account_id,                                   // every event
    project_id, service, task_id, session_id, model, reason,   // usage, sessions
    pack, plan, outcome, expires_at, period_start, period_end, // grants
    credits, tokens, provider_usage,                            // amounts
    count
};
inline constexpr std::size_t member_count = static_cast<std::size_t>(Member::count);

// How a member's value is read.
enum class ValueKind : std::uint8_t {
    id,              // a non-empty string of at most id_bytes_max bytes
    text,            // a string of at most `bytes_max` bytes
    instant,         // an RFC 3339 instant (spec §10), at most instant_text_bytes_max bytes
    credits,         // a credit amount: an integer or a decimal string (spec §10 "Numbers")
    tokens,          // {"output", "input_cache_miss", "input_cache_hit"}, counts
    provider_usage,  // {"format", "usage"} (spec §3)
};

struct MemberSpec {
    std::string_view name;
    ValueKind kind;
    std::size_t bytes_max;  // for strings: the longest value accepted
};

inline constexpr MemberSpec member_specs[member_count] = {
    {"id", ValueKind::id, id_bytes_max},
    {"type", ValueKind::text, 64},
    {"at", ValueKind::instant, instant_text_bytes_max},
    {"account_id", ValueKind::id, id_bytes_max},
    {"project_id", ValueKind::id, id_bytes_max},
    {"service", ValueKind::id, id_bytes_max},
    {"task_id", ValueKind::id, id_bytes_max},
    {"session_id", ValueKind::id, id_bytes_max},
    {"model", ValueKind::text, 256},
    {"reason", ValueKind::text, 1024},
    {"pack", ValueKind::id, id_bytes_max},
    {"plan", ValueKind::id, id_bytes_max},
    {"outcome", ValueKind::text, 64},
    {"expires_at", ValueKind::instant, instant_text_bytes_max},
    {"period_start", ValueKind::instant, instant_text_bytes_max},
    {"period_end", ValueKind::instant, instant_text_bytes_max},
    {"credits", ValueKind::credits, 0},
    {"tokens", ValueKind::tokens, 0},
    {"provider_usage", ValueKind::provider_usage, 0},
};

constexpr bool ids_have_one_limit() {
    for (const MemberSpec& m : member_specs)
        if (m.kind == ValueKind::id && m.bytes_max != id_bytes_max) return false;
    return true;
}
static_assert(ids_have_one_limit(), "ObjectReader::id reads every id with id_bytes_max");

constexpr const MemberSpec& spec_of(Member m) { return member_specs[static_cast<std::size_t>(m)]; }
constexpr std::string_view name_of(Member m) { return spec_of(m).name; }

using MemberSet = std::uint32_t;
static_assert(member_count <= 32, "a MemberSet has a bit per member");
constexpr MemberSet bit(Member m) { return MemberSet{1} << static_cast<unsigned>(m); }
template <typename... M>
constexpr MemberSet members(M... m) { return (MemberSet{0} | ... | bit(m)); }

// Every event has id, type and at, and may name its account (spec §10, §9).
inline constexpr MemberSet common_members = members(Member::id, Member::type, Member::at, Member::account_id);
inline constexpr MemberSet common_required = members(Member::id, Member::type, Member::at);

enum class EventType : std::uint8_t {
    account_opened, subscription_billed, credits_purchased, credits_granted,  // grants (spec §4)
    usage,                                                                     // spec §2-§3
    session_completed, task_cancelled,                                         // spec §8
};

enum class EventFamily : std::uint8_t { grant, usage, session };

struct EventSpec {
    std::string_view name;
    EventType type;
    EventFamily family;
    MemberSet allowed;   // common members included
    MemberSet required;  // common ones included; `tokens` / `provider_usage` are one-of (usage.cpp)
};

// The table of spec §10. A member outside `allowed` is an unknown field.
inline constexpr EventSpec event_specs[] = {
    {"account_opened", EventType::account_opened, EventFamily::grant, common_members, common_required},
    {"subscription_billed", EventType::subscription_billed, EventFamily::grant,
     common_members | members(Member::plan, Member::outcome, Member::period_start, Member::period_end, Member::credits),
     common_required | members(Member::plan, Member::outcome)},
    {"credits_purchased", EventType::credits_purchased, EventFamily::grant,
     common_members | members(Member::credits, Member::pack), common_required | members(Member::credits)},
    {"credits_granted", EventType::credits_granted, EventFamily::grant,
     common_members | members(Member::credits, Member::expires_at, Member::reason),
     common_required | members(Member::credits)},
    {"usage", EventType::usage, EventFamily::usage,
     common_members | members(Member::project_id, Member::service, Member::tokens, Member::provider_usage,
                              Member::task_id, Member::session_id, Member::model),
     common_required | members(Member::project_id, Member::service)},
    {"session_completed", EventType::session_completed, EventFamily::session,
     common_members | members(Member::project_id, Member::task_id, Member::session_id),
     common_required | members(Member::project_id, Member::task_id, Member::session_id)},
    {"task_cancelled", EventType::task_cancelled, EventFamily::session,
     common_members | members(Member::project_id, Member::task_id, Member::reason),
     common_required | members(Member::project_id, Member::task_id)},
};

constexpr bool allows(const EventSpec& spec, Member m) { return (spec.allowed & bit(m)) != 0; }
constexpr bool requires_member(const EventSpec& spec, Member m) { return (spec.required & bit(m)) != 0; }

// The one candidate member a name can be, chosen by its length and a letter
// or two (no string compare; the caller compares the candidate's name), or
// Member::count. Hand-written for speed -- it runs for every member of every
// event -- and checked against the table below (static_assert).
constexpr Member member_candidate(std::string_view key) {
    switch (key.size()) {
        case 2: return key[0] == 'i' ? Member::id : Member::at;
        case 4: return key[0] == 't' ? Member::type : key[1] == 'l' ? Member::plan : Member::pack;
        case 5: return Member::model;
        case 6: return key[0] == 'r' ? Member::reason : Member::tokens;
        case 7:
            return key[0] == 's'   ? Member::service
                   : key[0] == 't' ? Member::task_id
                   : key[0] == 'o' ? Member::outcome
                                   : Member::credits;
        case 10:
            switch (key[0]) {
                case 'a': return Member::account_id;
                case 's': return Member::session_id;
                case 'e': return Member::expires_at;
                default: return key.size() > 2 && key[2] == 'r' ? Member::period_end : Member::project_id;
            }
        case 12: return Member::period_start;
        case 14: return Member::provider_usage;
        default: return Member::count;
    }
}

constexpr bool every_member_is_its_own_candidate() {
    for (std::size_t m = 0; m < member_count; ++m)
        if (member_candidate(member_specs[m].name) != static_cast<Member>(m)) return false;
    return true;
}
static_assert(every_member_is_its_own_candidate(), "member_candidate must find every member of member_specs");

// The same for event type names.
constexpr const EventSpec* event_candidate(std::string_view type) {
    const auto at = [](EventType t) { return &event_specs[static_cast<std::size_t>(t)]; };
    switch (type.size()) {
        case 5: return at(EventType::usage);
        case 14: return type[0] == 'a' ? at(EventType::account_opened) : at(EventType::task_cancelled);
        case 15: return at(EventType::credits_granted);
        case 17: return type[0] == 'c' ? at(EventType::credits_purchased) : at(EventType::session_completed);
        case 19: return at(EventType::subscription_billed);
        default: return nullptr;
    }
}

constexpr bool every_event_is_its_own_candidate() {
    for (std::size_t t = 0; t < std::size(event_specs); ++t) {
        if (event_specs[t].type != static_cast<EventType>(t)) return false;
        if (event_candidate(event_specs[t].name) != &event_specs[t]) return false;
    }
    return true;
}
static_assert(every_event_is_its_own_candidate(), "event_specs is indexed by EventType; event_candidate finds each");

// Member::count when `key` names no event member.
inline Member find_member(std::string_view key) {
    const Member m = member_candidate(key);
    return m != Member::count && fast_json::equals(name_of(m), key) ? m : Member::count;
}

// nullptr for an unknown type (credits_transferred and credits_redeemed
// included: LedgerBuilder::add_event explains those).
inline const EventSpec* find_event_spec(std::string_view type) {
    const EventSpec* spec = event_candidate(type);
    return spec != nullptr && fast_json::equals(spec->name, type) ? spec : nullptr;
}

// The service mapping (spec §2): agent_chat records are charged when their
// session completes; summarization and every other service are free.
inline Service service_of(std::string_view name) {
    return fast_json::equals(name, "agent_chat")      ? Service::agent_chat
           : fast_json::equals(name, "summarization") ? Service::summarization
                                                      : Service::other;
}

}  // namespace credits::ledger_reading
